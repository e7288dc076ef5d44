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


class StoreError(ScrimmageError):
    """A store (tracking server, database, workdir) cannot be opened or used; the message names it."""


class TrainingInterrupted(ScrimmageError):
    """The run was stopped (Ctrl-C: exit 130, SIGTERM: exit 143); the message says how to resume it."""

    exit_code = 130

    def __init__(self, message: str, exit_code: int = 130):
        super().__init__(message)
        self.exit_code = exit_code


class TrainingDiverged(ScrimmageError):
    """The loss became NaN or infinite; the message says what to change."""


class RunAborted(ScrimmageError):
    """A run was stopped with ``request_stop(mode="abort")`` (a worker that lost its job): nothing more was written."""


class RunPruned(ScrimmageError):
    """A run was stopped with ``request_stop(mode="prune")`` (a search pruned its trial); no test, no result."""
