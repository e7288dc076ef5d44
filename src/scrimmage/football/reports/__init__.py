"""The registered reports (:mod:`.configs`: light schemas; each ``build()`` returns a function of the
:class:`~scrimmage.engine.reports.ReportContext` and the table so far)."""
