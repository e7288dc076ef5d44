"""Segments and features: gaps longer than the horizon split a symbol, shorter ones are filled on an
hourly grid and never become decision hours, and every feature at hour t reads bars up to t only."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from scrimmage.markets.dataset import DEFAULT_FEATURES, MarketWindowsConfig, parse_feature
from scrimmage.markets.features import build_segments, compute, on_grid, split_segments
from tests.markets.conftest import make_bars


def arrays(df):
    hours = (np.arange(len(df)) + 450_000).astype(np.int64)
    return hours, {c: df[c].to_numpy(np.float64) for c in ("open", "high", "low", "close", "volume")}


def test_about_23_default_features_all_parse():
    assert len(DEFAULT_FEATURES) == 23
    for name in DEFAULT_FEATURES:
        parse_feature(name)
    assert parse_feature("ret_72h") == ("ret", 72) and parse_feature("rsi_7") == ("rsi", 7)


@pytest.mark.parametrize("bad", ["ret_0h", "momentum", "vol_1h", "rsi_9999"])
def test_unknown_or_out_of_range_feature_is_a_config_error(bad):
    with pytest.raises(ValidationError, match="feature"):
        MarketWindowsConfig(features=[bad])


def test_gaps_longer_than_the_horizon_split_segments():
    hours = np.array([0, 1, 2, 10, 11, 50, 51])
    assert [(s.start, s.stop) for s in split_segments(hours, max_gap=24)] == [(0, 5), (5, 7)]
    assert len(split_segments(hours, max_gap=5)) == 3


def test_short_gaps_filled_flat_with_zero_volume_and_not_real():
    hours = np.array([10, 11, 14, 15])
    values = {"open": np.array([1.0, 2, 3, 4]), "high": np.array([1.5, 2.5, 3.5, 4.5]), "low": np.array([0.5, 1.5, 2.5, 3.5]),
              "close": np.array([1.1, 2.1, 3.1, 4.1]), "volume": np.array([5.0, 6, 7, 8])}
    grid, real, bars = on_grid(hours, values)
    assert grid.tolist() == [10, 11, 12, 13, 14, 15]
    assert real.tolist() == [True, True, False, False, True, True]
    assert bars["close"].tolist() == [1.1, 2.1, 2.1, 2.1, 3.1, 4.1]
    assert bars["high"][2] == bars["low"][2] == 2.1 and bars["volume"][2] == 0


def test_features_are_causal():
    """Changing every bar after hour t leaves every feature at rows <= t unchanged."""
    df = make_bars(800, vol=0.02)
    hours, values = arrays(df)
    base = compute(list(DEFAULT_FEATURES), hours, values)
    t = 500
    changed = {k: v.copy() for k, v in values.items()}
    for k in changed:
        changed[k][t + 1 :] *= 3.0
    after = compute(list(DEFAULT_FEATURES), hours, changed)
    np.testing.assert_array_equal(base[: t + 1], after[: t + 1])
    assert not np.allclose(base[t + 1 :], after[t + 1 :], equal_nan=True)


def test_warm_up_rows_are_cut_and_the_rest_is_finite():
    df = make_bars(800)
    hours, values = arrays(df)
    (seg,) = build_segments("AAA", hours, values, list(DEFAULT_FEATURES), max_gap=24)
    assert seg.first_valid == 168  # ret_168h and vol_168h need 168 earlier hours
    assert np.isfinite(seg.features[seg.first_valid :]).all()
    assert np.isnan(seg.features[: seg.first_valid]).any(axis=1).all()
    assert seg.features.dtype == np.float32 and seg.features.shape == (800, 23)


def test_feature_values_by_hand():
    df = make_bars(300)
    hours, values = arrays(df)
    names = ["ret_24h", "hl_range", "close_position", "vol_24h", "hour_sin", "dow_cos"]
    f = compute(names, hours, values)
    c, h, lo = values["close"], values["high"], values["low"]
    t = 250
    assert f[t, 0] == pytest.approx(np.log(c[t] / c[t - 24]), rel=1e-5)
    assert f[t, 1] == pytest.approx(np.log(h[t] / lo[t]), rel=1e-5)
    assert f[t, 2] == pytest.approx((c[t] - lo[t]) / (h[t] - lo[t]), rel=1e-5)
    lr = np.diff(np.log(c))
    assert f[t, 3] == pytest.approx(np.std(lr[t - 24 : t], ddof=1), rel=1e-4)
    assert f[t, 4] == pytest.approx(np.sin(2 * np.pi * (hours[t] % 24) / 24), abs=1e-6)
    assert f[t, 5] == pytest.approx(np.cos(2 * np.pi * ((hours[t] // 24 + 3) % 7) / 7), abs=1e-6)
