"""How the capture room finds participants. The participants room owns them; its interface offers
consent gating and labels but no look-up by primary key yet, so this module is the one place that
reads the model through the app registry (no import of the room). When ``participants.interface``
offers ``participant(pk)`` and ``visible_participants(user, permission)`` this becomes two calls."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.http import Http404

from celltrial.accounts import permissions


def _model() -> Any:
    return apps.get_model("participants", "Participant")


def visible(user: Any, permission: str) -> Any:
    """The participants this user may see for ``permission`` (site-scoped)."""
    return permissions.scope(_model().objects.select_related("site"), user, permission)


def get_visible(user: Any, permission: str, pk: int) -> Any:
    found = visible(user, permission).filter(pk=pk).first()
    if found is None:
        raise Http404("participant")
    return found


def get(pk: int) -> Any:
    return _model().objects.select_related("site").get(pk=pk)


def enrolled(participant: Any) -> bool:
    return str(participant.status) == "enrolled"
