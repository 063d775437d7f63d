"""The REST API: OpenAPI at /api/openapi.json, token auth on every route."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI

from celltrial.api.auth import TokenAuth
from celltrial.audit.api import router as audit_router
from celltrial.study.api import router as study_router

api = NinjaAPI(
    title="celltrial API",
    version="1",
    description="Protocol, sites and audit-trail reads. Authenticate with `Authorization: Bearer <token>`.",
    auth=TokenAuth(),
    urls_namespace="api",
)


@api.exception_handler(PermissionDenied)
def permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(request, {"detail": "Your role does not allow this."}, status=403)


api.add_router("/protocol", study_router)
api.add_router("/audit", audit_router)
