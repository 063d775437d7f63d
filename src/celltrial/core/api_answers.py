"""What every room's API answers when a service refuses or finds a stale version, in one shape.

- :func:`refused`: a 422 naming each refused field, in pydantic's own shape (``loc`` ``["body", field]``;
  a refusal of the whole request, ``"__all__"``, is ``["body"]``);
- :func:`conflicted`: a 409 with both versions (``ConflictOut``), from a stale ``expected_version``;
- :func:`answer`: runs a service call and turns those refusals into their answers (an access refusal
  becomes the 403 every route gives).

The answers' schemas for the OpenAPI document are ``core.fields.responses(..., conflict=True)``. Text is
sent as UTF-8, not ``\\u`` escapes, so a Chinese message is readable in a log or a terminal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse

from celltrial.core.errors import AccessDenied, ConflictError, ValidationFailed

_UTF8 = {"ensure_ascii": False}


def refused(exc: ValidationFailed) -> HttpResponse:
    detail = [{"loc": ["body", name] if name != "__all__" else ["body"], "msg": " ".join(str(m) for m in msgs),
               "type": "value_error"} for name, msgs in exc.errors.items()]
    return JsonResponse({"detail": detail}, status=422, json_dumps_params=_UTF8)


def conflicted(exc: ConflictError) -> HttpResponse:
    return JsonResponse({"detail": str(exc), "current_version": exc.current_version,
                         "current_values": exc.current_values, "attempted_values": exc.attempted_values},
                        status=409, json_dumps_params=_UTF8)


def answer(call: Callable[[], Any]) -> Any:
    """``call()``, or the 409 / 422 its refusal is; an access refusal raises the 403."""
    try:
        return call()
    except ConflictError as exc:
        return conflicted(exc)
    except ValidationFailed as exc:
        return refused(exc)
    except AccessDenied as exc:
        raise PermissionDenied(str(exc)) from exc
