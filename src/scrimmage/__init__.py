"""scrimmage: a training lab for sports, betting and game-AI models."""

__version__ = "0.1.0"
