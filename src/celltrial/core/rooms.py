"""What a room declares, so that web, api and accounts assemble it without a central list.

A room's ``AppConfig`` derives from :class:`RoomConfig` and names, as dotted paths:

- ``permissions``: a mapping ``permission → roles`` (the room's own permissions);
- ``urls``: its URL module, mounted at ``url_prefix``;
- ``api``: its django-ninja router, mounted at ``/api/<api_prefix>``;
- ``navigation``: a list of :class:`NavEntry` for the menu and the home tiles.

Adding a room means adding it to ``INSTALLED_APPS``; no other room's list is edited. A room's config
sets ``default = True`` (its ``apps.py`` also sees :class:`RoomConfig`, so Django must be told which).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from django.apps import AppConfig, apps


@dataclass(frozen=True)
class NavEntry:
    """A page a room offers: in the menu (``menu``) and as a home tile for the given roles."""

    url_name: str
    label: Any
    permission: str | None
    text: Any = ""
    anchor: str = ""
    menu: bool = True
    tile: bool = True
    key: str = ""
    order: int = 100
    favourite_of: tuple[str, ...] = field(default_factory=tuple)


class RoomConfig(AppConfig):
    permissions: str | None = None
    urls: str | None = None
    url_prefix: str = ""
    api: str | None = None
    api_prefix: str = ""
    navigation: str | None = None


def _load(dotted: str) -> Any:
    module, _, attr = dotted.partition(":")
    obj = import_module(module)
    return getattr(obj, attr) if attr else obj


def rooms() -> Iterator[RoomConfig]:
    for config in apps.get_app_configs():
        if isinstance(config, RoomConfig):
            yield config


def declared(kind: str) -> Iterator[tuple[RoomConfig, Any]]:
    """Each room's declaration of ``kind`` (``permissions``, ``urls``, ``api``, ``navigation``), loaded."""
    for room in rooms():
        dotted = getattr(room, kind)
        if dotted:
            yield room, _load(dotted)
