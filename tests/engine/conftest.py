"""Engine tests train on the synthetic dataset registered in ``tests/engine/synthetic.py``."""

from __future__ import annotations

import pytest

from tests.engine.synthetic import synthetic_config as make_synthetic_config


@pytest.fixture
def synthetic_config():
    return make_synthetic_config
