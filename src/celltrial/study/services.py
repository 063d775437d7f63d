"""Study services: the named operations on protocol versions and sites.

- :func:`load_protocol_file`: validate a protocol file and store it as version N+1 (unless unchanged);
- :func:`load_default_protocol`: the shipped protocol, into an empty database only;
- :data:`edit_site`: a site's details (name, principal investigator, time zone);
- :func:`sign_site_activation`: the e-signed approval of a site's activation.

Sites are declared by the protocol, which says which sites take part; their details then live on
the site record. Loading a protocol creates the sites it adds and never overwrites a site's details.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_noop

from celltrial.accounts import signatures
from celltrial.accounts.models import Signature
from celltrial.audit.operations import Create, Update
from celltrial.core import steady
from celltrial.core.actor import Actor
from celltrial.core.errors import AccessDenied
from celltrial.study.models import ProtocolVersion, Site
from celltrial.study.permissions import PROTOCOL_LOAD, SITE_APPROVE, SITE_EDIT
from celltrial.study.protocol import Protocol, default_protocol_path
from celltrial.study.protocol.errors import LoadWarning
from celltrial.study.protocol.loader import load_protocol_with_warnings

_create_version = Create("load_protocol", ProtocolVersion, permission=PROTOCOL_LOAD, fields=(
    "number", "protocol_id", "version_label", "content", "content_hash", "source_name", "loaded_by"))
add_site = Create("add_site", Site, permission=PROTOCOL_LOAD, fields=(
    "code", "name_en", "name_zh", "country", "timezone", "principal_investigator"))

SITE_EDITABLE = ("principal_investigator", "name_en", "name_zh", "timezone")
edit_site = Update("edit_site", Site, permission=SITE_EDIT, fields=SITE_EDITABLE)


@dataclass(frozen=True)
class LoadResult:
    version: ProtocolVersion
    created: bool
    sites_created: list[str]
    # Sites whose details in the file differ from the site record, which is kept as it is.
    sites_differing: dict[str, list[str]] = field(default_factory=dict)
    # What the file holds that loads with a documented fallback (docs/redcap.md): shown to whoever loads it.
    warnings: list[LoadWarning] = field(default_factory=list)


def version_in_force() -> ProtocolVersion | None:
    return ProtocolVersion.objects.order_by("-number").first()


def latest_version_row() -> tuple[int, str] | None:
    """``(number, content_hash)`` of the version in force, or None (read once inside ``steady_reads``)."""
    return steady.read("study.protocol", lambda: ProtocolVersion.objects.order_by("-number").values_list(
        "number", "content_hash").first())


def version_in_force_number() -> int | None:
    row = latest_version_row()
    return row[0] if row is not None else None


def load_protocol_file(actor: Actor, path: str | Path, *, reason: str = "") -> LoadResult:
    """Validate the protocol at ``path`` and store it as version N+1 unless its content is unchanged.

    Raises ``celltrial.study.protocol.ProtocolError`` (every issue with file, line and field) for a bad file.
    """
    protocol, warnings = load_protocol_with_warnings(Path(path))
    result = store_protocol(actor, protocol, source_name=Path(path).name, reason=reason)
    return dataclasses.replace(result, warnings=list(warnings))


def load_default_protocol(actor: Actor) -> LoadResult | None:
    """The shipped protocol, loaded only into a database that has none: never replaces one in force."""
    current = version_in_force()
    if current is not None:
        return None
    return load_protocol_file(actor, default_protocol_path(), reason=gettext_noop("initial protocol"))


def store_protocol(actor: Actor, protocol: Protocol, *, source_name: str = "", reason: str = "") -> LoadResult:
    digest = protocol.content_hash()
    with transaction.atomic():
        latest = ProtocolVersion.objects.select_for_update().order_by("-number").first()
        if latest is not None and latest.content_hash == digest:
            return LoadResult(latest, False, [])
        version = _create_version(
            actor,
            number=(latest.number + 1) if latest else 1,
            protocol_id=protocol.protocol.id,
            version_label=protocol.protocol.version.label,
            content=protocol.model_dump(mode="json", exclude_none=True),
            content_hash=digest,
            source_name=source_name[:255],
            loaded_by=actor.user,
            reason=reason or (gettext_noop("initial protocol") if latest is None
                              else gettext_noop("protocol amendment loaded")),
        )
        created, differing = _add_declared_sites(actor, protocol)
    return LoadResult(version, True, created, differing)


def _declared_fields(site: Any) -> dict[str, Any]:
    return {
        "name_en": site.name.en,
        "name_zh": site.name.zh or "",
        "country": site.country,
        "timezone": site.time_zone,
        "principal_investigator": site.principal_investigator.get("en"),
    }


def _add_declared_sites(actor: Actor, protocol: Protocol) -> tuple[list[str], dict[str, list[str]]]:
    created: list[str] = []
    differing: dict[str, list[str]] = {}
    existing = {s.code: s for s in Site.objects.all()}
    for declared in protocol.sites:
        values = _declared_fields(declared)
        site = existing.get(declared.code)
        if site is None:
            add_site(actor, code=declared.code, reason=gettext_noop("declared by the protocol"), **values)
            created.append(declared.code)
        else:
            changed = [k for k, v in values.items() if getattr(site, k) != v]
            if changed:
                differing[declared.code] = changed
    return created, differing


def sign_site_activation(actor: Actor, site: Site, *, password: str, meaning: str, comment: str = "") -> Signature:
    """Sign a site's activation: QA or an investigator of that site, re-entering the password."""
    from celltrial.accounts.permissions import actor_may

    if not actor_may(actor, SITE_APPROVE, site.code):
        raise AccessDenied(SITE_APPROVE, site.code)
    return signatures.sign(actor, site, password=password, meaning=meaning, comment=comment)
