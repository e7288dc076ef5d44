"""Markets: hourly OHLCV of many assets → validated tables → causal features → labelled windows.

Layers, each importing only those above it: :mod:`.rules` (the named data-quality rules),
:mod:`.source` (reading a folder of OHLCV files), :mod:`.store` (the validated Parquet tables and
their manifest), :mod:`.ingest`, :mod:`.features`, :mod:`.windows` (the ``market-windows``
dataset's builder), with :mod:`.dataset` (its light schema), :mod:`.cli` and :mod:`.plugin`.
The core never imports this package: :mod:`.plugin` registers it through the
``scrimmage.plugins`` entry point.
"""
