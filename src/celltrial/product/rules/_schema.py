"""What the rule-file schemas (release specifications, donor rule sets) share: strict models and text."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field


class StrictModel(BaseModel):
    # A misspelt key is refused, never ignored: `wieght_cap_kg: 60` silently meant "no weight cap".
    model_config = ConfigDict(extra="forbid", frozen=True)


def _as_text(value: Any) -> Any:
    # `version: 1` and `code: 105` are text; booleans, lists and mappings are not.
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return str(value)
    return value.strip() if isinstance(value, str) else value


Text = Annotated[str, BeforeValidator(_as_text)]
Code = Annotated[str, BeforeValidator(_as_text), Field(min_length=1)]
