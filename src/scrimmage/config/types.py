"""Field types shared by schemas: integers that refuse booleans, finite floats, durations.

YAML turns ``yes``/``true`` into booleans and pydantic's lax mode would read them as 1; an
epoch count of ``true`` is a mistake, not a one, so integer options are strict.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AllowInfNan, BeforeValidator, Field, Strict

Int = Annotated[int, Strict()]
PositiveInt = Annotated[int, Strict(), Field(ge=1)]
NonNegativeInt = Annotated[int, Strict(), Field(ge=0)]
FiniteFloat = Annotated[float, AllowInfNan(False)]

_DURATION_UNITS = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0}
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([dhms])")


def parse_duration(text: str) -> float:
    """``"12h"``, ``"90m"``, ``"45s"``, ``"1d"``, ``"1h30m"``, ``"2.5h"`` → seconds (> 0).

    A unit is required: a bare number is ambiguous (seconds? minutes?), so it is an error.
    """
    if not isinstance(text, str):
        raise ValueError(f"expected a duration with a unit like 12h, 90m or 45s, got {text!r}")
    compact = text.strip().lower().replace(" ", "")
    parts = _DURATION_PART.findall(compact)
    if not compact or "".join(f"{n}{u}" for n, u in parts) != compact:
        raise ValueError(f"'{text}' is not a duration; write a number and a unit (d, h, m, s), e.g. 12h, 90m, 45s or 1h30m")
    seconds = sum(float(n) * _DURATION_UNITS[u] for n, u in parts)
    if seconds <= 0:
        raise ValueError(f"the duration '{text}' must be longer than zero")
    return seconds


def _check_duration(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a duration with a unit like 12h, 90m or 45s, got {value!r} ({type(value).__name__})")
    parse_duration(value)
    return value


Duration = Annotated[str, BeforeValidator(_check_duration)]
"""A wall-clock duration as written (``"12h"``); :func:`parse_duration` gives its seconds."""
