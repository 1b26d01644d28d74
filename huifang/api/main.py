"""The HTTP API under ``/api/v1/`` (django-ninja): one router per domain, the OpenAPI 3.1 document
at ``/api/v1/openapi.json`` and its docs page at ``/api/v1/docs``.

Every write calls the same service as the pages and commands, with the same row scope
(``accounts.scope``), status tables and phone masking. Errors: 401 without a valid token or
session, 403 for a role that may not, 404 for what is outside the caller's scope (as the pages),
409 for a state conflict, 413 for a body past the size limit, 422 with the path of each problem,
429 past the rate; never a 500 for anything a caller sends.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from huifang.api.auth import Session, Throttled, TokenAuth
from huifang.api.errors import Conflict, Invalid, TooLarge
from huifang.api.routers import calls, cases, customers, events, reference, reports, tasks, webhooks

logger = logging.getLogger("huifang.api")

api = NinjaAPI(
    title="Huifang API",
    version="1",
    description=(
        "Customer follow-up management (回访). Authenticate with a personal token "
        "(`Authorization: Bearer hf_…`, made on the settings page or by `huifang token create`). "
        "Phone numbers are masked in every response; no personal data goes in a URL."
    ),
    urls_namespace="api",
    auth=[TokenAuth(), Session()],
)

api.add_router("/customers", customers.router)
api.add_router("/events", events.router)
api.add_router("/tasks", tasks.router)
api.add_router("/cases", cases.router)
api.add_router("/reports", reports.router)
api.add_router("/", reference.router)
api.add_router("/calls", calls.router)
api.add_router("/webhooks", webhooks.router)


def _detail(request: HttpRequest, status: int, detail: object) -> HttpResponse:
    return api.create_response(request, {"detail": detail}, status=status)


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    # Only where and what: pydantic's ``input`` would echo the caller's data (a phone number)
    # into logs and proxies.
    problems = [
        {
            "loc": _loc(error.get("loc", ())),
            "msg": str(error.get("msg", "")),
            "type": str(error.get("type", "")),
        }
        for error in exc.errors
    ]
    return _detail(request, 422, problems)


def _loc(loc: object) -> list[object]:
    """ninja names the body parameter after "body" (``["body", "body", "events", 3]``): the
    caller's path starts at the body itself."""
    path = list(loc) if isinstance(loc, list | tuple) else [loc]
    if path[:2] == ["body", "body"]:
        del path[1]
    return path


@api.exception_handler(Invalid)
def _invalid_input(request: HttpRequest, exc: Invalid) -> HttpResponse:
    return _detail(request, 422, exc.problems)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = _detail(request, 401, "a valid API token is required (Authorization: Bearer …)")
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400:
        # A body that is not JSON: still "malformed", with where.
        return _detail(request, 422, [{"loc": ["body"], "msg": str(exc), "type": "json_invalid"}])
    return _detail(request, exc.status_code, str(exc))


@api.exception_handler(Throttled)
def _throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    response = _detail(request, 429, "too many requests; try again in a minute")
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _detail(request, 403, str(exc) or "your role may not do this")


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _detail(request, 404, "not found")


@api.exception_handler(Conflict)
def _conflict(request: HttpRequest, exc: Conflict) -> HttpResponse:
    return _detail(request, 409, str(exc))


@api.exception_handler(TooLarge)
@api.exception_handler(RequestDataTooBig)
def _too_large(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _detail(request, 413, "the request body is too large")
