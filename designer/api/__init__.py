"""The HTTP API (docs/api.md): Django Ninja, session sign-in, CSRF on every state change."""

from django.http import HttpRequest, HttpResponse
from ninja.errors import AuthenticationError, ValidationError
from ninja.security import django_auth

from classroom import api as classroom
from designer.api import agents, deployments, designs, examples, session, tools
from designer.api.openapi import DocumentedAPI
from designer.errors import Refused
from designer.topology.issues import DesignError

api = DocumentedAPI(
    title="mvlab",
    version="1",
    description="Design, validate, store and deploy Linux macvlan topologies.",
    auth=django_auth,
    urls_namespace="api",
)
for module in (session, designs, tools, deployments, agents, examples, classroom):
    api.add_router("", module.router)


def _request_issue(error: dict) -> dict:
    """A pydantic/ninja request error as an Issue, its path inside the JSON body or query."""
    where = [str(part) for part in error.get("loc", ())]
    if where[:1] in (["body"], ["query"], ["path"], ["file"]):
        where = where[1:]
    if where[:1] in (["body"], ["payload"]):
        where = where[1:]
    return {
        "severity": "error",
        "path": ".".join(where),
        "line": None,
        "message": error.get("msg", "invalid value"),
        "hint": "see the request schema in /api/docs",
    }


@api.exception_handler(ValidationError)
def request_invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [_request_issue(e) for e in exc.errors]
    return api.create_response(request, {"detail": "the request is not valid", "errors": errors}, status=400)


@api.exception_handler(DesignError)
def design_invalid(request: HttpRequest, exc: DesignError) -> HttpResponse:
    errors = [issue.to_dict() for issue in exc.issues]
    return api.create_response(request, {"detail": "the design does not load", "errors": errors}, status=400)


@api.exception_handler(Refused)
def refused(request: HttpRequest, exc: Refused) -> HttpResponse:
    errors = [issue.to_dict() for issue in exc.errors]
    return api.create_response(request, {"detail": exc.detail, "errors": errors}, status=exc.status)


@api.exception_handler(AuthenticationError)
def signed_out(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request, {"detail": "sign in first (POST /api/session)", "errors": []}, status=401
    )
