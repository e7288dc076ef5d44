"""User-facing errors.

Every failure a user can fix (config, data, arguments, checkpoints) raises a subclass of
:class:`ScrimmageError` whose message says what is wrong and how to fix it. The CLI prints
the message without a traceback and exits with code 2.
"""


class ScrimmageError(Exception):
    """Base class for errors the user can fix; the message is shown as-is."""

    exit_code = 2


class ConfigError(ScrimmageError):
    """A recipe, an override or a config value is wrong."""


class DataError(ScrimmageError):
    """Input data is missing, unreadable or fails validation."""


class ArgumentError(ScrimmageError):
    """A command-line argument is wrong (missing file, bad combination)."""


class CheckpointError(ScrimmageError):
    """A checkpoint or run to resume from cannot be found or does not match the config."""


class TrainingInterrupted(ScrimmageError):
    """The user stopped a run (Ctrl-C); the message says how to resume it."""

    exit_code = 130


class TrainingDiverged(ScrimmageError):
    """The loss became NaN or infinite; the message says what to change."""
