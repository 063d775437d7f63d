"""Template filters of the product room."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django import template

register = template.Library()


@register.filter
def local(value: Any, zone: str) -> str:
    """An ISO 8601 time (as the chain of identity's JSON holds it) shown in the site's zone."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if not isinstance(value, dt.datetime):
        return "" if value is None else str(value)
    try:
        tz = zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = zoneinfo.ZoneInfo("UTC")
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M")


@register.filter
def rule_text(value: Any) -> str:
    """A product rule's reason (``core.messages.Msg``) in the active language."""
    from celltrial.product.messages import render

    return render(value)
