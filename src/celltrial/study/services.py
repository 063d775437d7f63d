"""Study services: load a protocol as a new version, keep sites in step with it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction

from celltrial.accounts import permissions
from celltrial.accounts.roles import PROTOCOL_LOAD
from celltrial.audit import services as audit
from celltrial.audit.services import Actor
from celltrial.study.models import ProtocolVersion, Site
from celltrial.study.protocol import Protocol, load_protocol


@dataclass(frozen=True)
class LoadResult:
    version: ProtocolVersion
    created: bool
    sites_created: list[str]
    sites_updated: list[str]


def current_version() -> ProtocolVersion | None:
    return ProtocolVersion.objects.order_by("-number").first()


def load_protocol_file(actor: Actor, path: str | Path, *, reason: str = "") -> LoadResult:
    """Validate the protocol at ``path`` and store it as version N+1 unless its content is unchanged.

    Raises ``celltrial.study.protocol.ProtocolError`` (every issue with file, line and field) for a bad file.
    """
    if actor.user is not None and not permissions.has_perm(actor.user, PROTOCOL_LOAD):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied(PROTOCOL_LOAD)
    protocol = load_protocol(Path(path))
    return store_protocol(actor, protocol, source_name=Path(path).name, reason=reason)


def store_protocol(actor: Actor, protocol: Protocol, *, source_name: str = "", reason: str = "") -> LoadResult:
    digest = protocol.content_hash()
    with transaction.atomic():
        latest = ProtocolVersion.objects.select_for_update().order_by("-number").first()
        if latest is not None and latest.content_hash == digest:
            return LoadResult(latest, False, [], [])
        version = audit.create(
            actor,
            ProtocolVersion,
            number=(latest.number + 1) if latest else 1,
            protocol_id=protocol.protocol.id,
            version_label=protocol.protocol.version.label,
            content=protocol.model_dump(mode="json", exclude_none=True),
            content_hash=digest,
            source_name=source_name,
            loaded_by=actor.user,
            reason=reason or ("initial protocol" if latest is None else "protocol amendment loaded"),
        )
        created, updated = _sync_sites(actor, protocol, version.number)
    return LoadResult(version, True, created, updated)


def _site_fields(site: Any) -> dict[str, Any]:
    return {
        "name_en": site.name.en,
        "name_zh": site.name.zh or "",
        "country": site.country,
        "timezone": site.time_zone,
        "principal_investigator": site.principal_investigator.get("en"),
    }


def _sync_sites(actor: Actor, protocol: Protocol, number: int) -> tuple[list[str], list[str]]:
    created, updated = [], []
    existing = {s.code: s for s in Site.objects.all()}
    for declared in protocol.sites:
        fields = _site_fields(declared)
        site = existing.get(declared.code)
        if site is None:
            audit.create(actor, Site, code=declared.code, reason=f"declared by protocol version {number}", **fields)
            created.append(declared.code)
        elif any(getattr(site, k) != v for k, v in fields.items()):
            audit.update(actor, site, fields, expected_version=site.version,
                         reason=f"changed by protocol version {number}")
            updated.append(declared.code)
    return created, updated
