"""pandera schemas of the market tables: the one definition of each table's columns.

``bars``: one row per symbol and hour that has a bar (missing hours are absent, never invented),
sorted by symbol and time; ``symbols``: one row per source file. Both are validated before they
are written; a failure is a :class:`~scrimmage.errors.DataError` listing the failing checks.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from scrimmage.errors import DataError

UTC_TIME = pd.DatetimeTZDtype("ns", "UTC")


def _time_rises_within_symbol(df: pd.DataFrame) -> pd.Series:
    same = df["symbol"].eq(df["symbol"].shift())
    return ~same | df["time"].diff().gt(pd.Timedelta(0))


def _high_low_contain(df: pd.DataFrame) -> pd.Series:
    top = df[["open", "close"]].max(axis=1)
    bottom = df[["open", "close"]].min(axis=1)
    return (df["high"] >= top) & (df["low"] <= bottom)


BARS = pa.DataFrameSchema(
    {
        "symbol": pa.Column(str),
        "time": pa.Column(UTC_TIME),
        "open": pa.Column(float, pa.Check.gt(0)),
        "high": pa.Column(float, pa.Check.gt(0)),
        "low": pa.Column(float, pa.Check.gt(0)),
        "close": pa.Column(float, pa.Check.gt(0)),
        "volume": pa.Column(float, pa.Check.ge(0)),
    },
    checks=[
        pa.Check(_time_rises_within_symbol, name="time_rises_within_symbol"),
        pa.Check(_high_low_contain, name="high_low_contain_open_close"),
    ],
    strict=True, ordered=True,
)

SYMBOLS = pa.DataFrameSchema(
    {
        "symbol": pa.Column(str, unique=True),
        "file": pa.Column(str),
        "bars": pa.Column(int, pa.Check.gt(0)),
        "first": pa.Column(UTC_TIME),
        "last": pa.Column(UTC_TIME),
    },
    checks=[pa.Check(lambda df: df["last"] >= df["first"], name="last_after_first")],
    strict=True, ordered=True,
)

SCHEMAS = {"bars": BARS, "symbols": SYMBOLS}


def validate(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """The table validated against its schema; every failing check is listed in the :class:`DataError`."""
    try:
        return SCHEMAS[name].validate(df, lazy=True)
    except SchemaErrors as exc:
        cases = exc.failure_cases
        lines = []
        for check, grp in cases.groupby("check", dropna=False, sort=False):
            cols = sorted({str(c) for c in grp["column"].dropna().unique()})
            lines.append(f"  {', '.join(cols) or 'table'}: {check} failed for {len(grp)} rows")
        raise DataError(f"market {name} table failed validation:\n" + "\n".join(lines[:20])
                        + "\nthe source breaks a rule the ingest does not repair; report it with the file names") from None
