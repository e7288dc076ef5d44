"""Field types shared by schemas: integers that refuse booleans, finite floats.

YAML turns ``yes``/``true`` into booleans and pydantic's lax mode would read them as 1; an
epoch count of ``true`` is a mistake, not a one, so integer options are strict.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AllowInfNan, Field, Strict

Int = Annotated[int, Strict()]
PositiveInt = Annotated[int, Strict(), Field(ge=1)]
NonNegativeInt = Annotated[int, Strict(), Field(ge=0)]
FiniteFloat = Annotated[float, AllowInfNan(False)]
