"""Callbacks: early stopping (registered, from the recipe's ``callbacks:``) and the built-ins every run
gets (tracking, checkpoints, progress). Import the modules you need; this package stays light."""
