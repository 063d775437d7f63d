"""The REST API, assembled from the routers the rooms declare: OpenAPI at /api/openapi.json,
token auth on every route, docs served by the platform itself (no CDN)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Swagger
from ninja.errors import HttpError

from celltrial.api.auth import TokenAuth
from celltrial.core.errors import AccessDenied, InputError
from celltrial.core.rooms import declared


class PlatformSwagger(Swagger):
    """Swagger UI in the platform's own page (a phone viewport, a way home); assets from its static files."""

    template = "web/api_docs.html"


api = NinjaAPI(
    title="celltrial API",
    version="1",
    description="The platform's REST API: each room's reads and named operations, under the same permissions "
    "and audit trail as the web pages. Authenticate with `Authorization: Bearer <token>`.",
    auth=TokenAuth(),
    urls_namespace="api",
    # Swagger UI from the platform's own static files (ninja is an installed app); no outside
    # validator badge, which would otherwise be fetched from the internet for every schema shown.
    docs=PlatformSwagger(settings={"validatorUrl": None}),
)


@api.exception_handler(PermissionDenied)
def permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(request, {"detail": "Your role does not allow this."}, status=403)


@api.exception_handler(AccessDenied)
def access_denied(request: HttpRequest, exc: AccessDenied) -> HttpResponse:
    return api.create_response(request, {"detail": "Your role does not allow this."}, status=403)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
        # ninja's "Cannot parse request body" (not JSON, not UTF-8): a refused field like any other.
        detail = [{"type": "json_invalid", "loc": ["body"], "msg": "the request body is not valid JSON"}]
        return api.create_response(request, {"detail": detail}, status=422)
    return api.create_response(request, {"detail": exc.message}, status=exc.status_code)


@api.exception_handler(InputError)
def input_error(request: HttpRequest, exc: InputError) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=422)


for room, router in declared("api"):
    api.add_router(f"/{room.api_prefix or room.label}", router)



def _refuse_unknown_query_parameters(operation: Any) -> None:
    """A query parameter an operation does not declare is refused with 422 naming it, not ignored: a
    misspelt filter (``?usernmae=``) must not silently return everything."""
    import functools

    known = {name for model in operation.models if model.__ninja_param_source__ == "query"
             for name in getattr(model, "__ninja_flatten_map__", {})}
    run = operation.run

    @functools.wraps(run)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        unknown = sorted(set(request.GET) - known)
        if unknown:
            return api.create_response(request, {"detail": [
                {"loc": ["query", name], "msg": "unknown query parameter", "type": "extra_forbidden"}
                for name in unknown]}, status=422)
        return run(request, *args, **kwargs)

    operation.run = checked


# The operations that serve requests are the bound copies ninja makes when it builds the URLs.
for _bound in api._get_bound_routers():
    for _path_view in _bound.path_operations.values():
        for _operation in _path_view.operations:
            _refuse_unknown_query_parameters(_operation)
