"""Models out of runs: rebuild a trained model from its checkpoint alone (``load_model``)."""
