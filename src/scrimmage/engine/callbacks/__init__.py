"""Built-in callbacks: early stopping, checkpoints, progress display, tracking."""

from scrimmage.engine.callbacks.checkpointing import ModelCheckpoint
from scrimmage.engine.callbacks.early_stopping import EarlyStopping
from scrimmage.engine.callbacks.progress import RichProgress
from scrimmage.engine.callbacks.tracking import TrackingCallback

__all__ = ["EarlyStopping", "ModelCheckpoint", "RichProgress", "TrackingCallback"]
