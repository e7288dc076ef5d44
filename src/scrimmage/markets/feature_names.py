"""The feature names of ``market-windows``: the defaults and the grammar (light: no pandas).

Shared by the dataset's schema (:mod:`.dataset`, which checks names at config time) and the
feature code (:mod:`.features`), so neither imports the other.
"""

from __future__ import annotations

import re

#: The default features (23): causal, from the bars up to the decision hour.
DEFAULT_FEATURES = (
    "ret_1h", "ret_2h", "ret_4h", "ret_8h", "ret_12h", "ret_24h", "ret_48h", "ret_96h", "ret_168h",
    "log_volume", "volume_z_168h", "hl_range", "close_position", "vol_24h", "vol_168h", "rsi_14",
    "macd", "macd_signal", "bollinger_position", "hour_sin", "hour_cos", "dow_sin", "dow_cos",
)
#: Feature names with a window: the pattern → what the number is.
WINDOWED = {
    re.compile(r"ret_(\d+)h"): "log return of the close over the last k hours",
    re.compile(r"vol_(\d+)h"): "standard deviation of hourly log returns over the last k hours",
    re.compile(r"volume_z_(\d+)h"): "z-score of log quote volume against its last k hours",
    re.compile(r"rsi_(\d+)"): "Wilder's RSI over k hours, as a fraction (0..1)",
}
FIXED = {
    "log_volume": "log1p of the quote volume (volume x close) of the hour",
    "hl_range": "log(high / low) of the hour",
    "close_position": "(close - low) / (high - low); 0.5 for a flat bar",
    "macd": "EMA12 - EMA26 of the close, divided by the close",
    "macd_signal": "EMA9 of the MACD line, divided by the close",
    "bollinger_position": "(close - SMA20) / (2 x rolling std 20)",
    "hour_sin": "sin of the hour of day (UTC)", "hour_cos": "cos of the hour of day (UTC)",
    "dow_sin": "sin of the day of week", "dow_cos": "cos of the day of week",
}
#: The longest window a feature may name (four weeks).
MAX_WINDOW = 672


def parse_feature(name: str) -> tuple[str, int]:
    """``(kind, k)`` of a feature name (``("ret", 24)`` for ``ret_24h``; ``(name, 0)`` for a fixed one)."""
    if name in FIXED:
        return name, 0
    for pattern in WINDOWED:
        match = pattern.fullmatch(name)
        if match:
            k = int(match.group(1))
            if not 1 <= k <= MAX_WINDOW or (name.startswith(("vol_", "volume_z_", "rsi_")) and k < 2):
                raise ValueError(f"feature {name!r}: the window must be 2..{MAX_WINDOW} hours (1.. for returns)")
            return name.rsplit("_", 1)[0], k
    known = ", ".join([*FIXED, "ret_<k>h", "vol_<k>h", "volume_z_<k>h", "rsi_<k>"])
    raise ValueError(f"unknown feature {name!r}; known: {known}")
