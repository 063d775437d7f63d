"""Protocol and site reads for the REST API."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Path, Router, Schema

from celltrial.accounts import permissions
from celltrial.core.fields import IntKey, responses
from celltrial.study.models import ProtocolVersion, Site
from celltrial.study.permissions import PROTOCOL_VIEW, SITE_VIEW

router = Router(tags=["protocol"])


class VersionOut(Schema):
    number: int
    protocol_id: str
    version_label: str
    content_hash: str
    source_name: str


class VersionDetailOut(VersionOut):
    content: dict[str, Any]


class SiteOut(Schema):
    code: str
    name_en: str
    name_zh: str
    country: str
    timezone: str
    principal_investigator: str


@router.get("/versions", response=responses(list[VersionOut]), summary="All loaded protocol versions, newest first")
def versions(request: HttpRequest) -> Any:
    permissions.require(request.user, PROTOCOL_VIEW)
    return ProtocolVersion.objects.order_by("-number")


@router.get("/current", response=responses(VersionDetailOut, lookup=True), summary="The protocol version in force")
def current(request: HttpRequest) -> Any:
    permissions.require(request.user, PROTOCOL_VIEW)
    return get_object_or_404(ProtocolVersion.objects.order_by("-number")[:1])


@router.get("/versions/{number}", response=responses(VersionDetailOut, lookup=True), summary="One protocol version")
def version(request: HttpRequest, number: Path[IntKey]) -> Any:
    permissions.require(request.user, PROTOCOL_VIEW)
    return get_object_or_404(ProtocolVersion, number=number)


@router.get("/sites", response=responses(list[SiteOut]), summary="Sites visible to the caller")
def sites(request: HttpRequest) -> Any:
    permissions.require(request.user, SITE_VIEW)
    return permissions.scope(Site.objects.all(), request.user, SITE_VIEW)
