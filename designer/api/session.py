"""Signing in and out with a Django session; the CSRF token the editor sends back."""

from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest
from django.middleware.csrf import get_token
from ninja import Router, Status
from ninja.errors import HttpError
from ninja.utils import check_csrf

from classroom.roles import INSTRUCTOR, STUDENT
from designer.api.schemas import ErrorOut, SessionOut, SignIn

router = Router(tags=["session"])


def _roles(user) -> list[str]:
    flags = [role for role, has in (("staff", user.is_staff), ("admin", user.is_superuser)) if has]
    return flags + sorted(user.groups.filter(name__in=(INSTRUCTOR, STUDENT)).values_list("name", flat=True))


def _session(request: HttpRequest) -> dict:
    user = request.user if request.user.is_authenticated else None
    return {
        "user": user.get_username() if user else None,
        "csrf_token": get_token(request),
        "roles": _roles(user) if user else [],
    }


@router.get("/session", auth=None, response=SessionOut)
def current(request: HttpRequest):
    return _session(request)


@router.post("/session", auth=None, response={200: SessionOut, 401: ErrorOut, 403: ErrorOut})
def sign_in(request: HttpRequest, body: SignIn):
    if check_csrf(request):
        raise HttpError(403, "CSRF check failed: send the X-CSRFToken header from GET /api/session")
    user = authenticate(request, username=body.username, password=body.password)
    if user is None:
        return Status(401, {"detail": "wrong username or password"})
    login(request, user)
    return _session(request)


@router.delete("/session", response={204: None})
def sign_out(request: HttpRequest):
    logout(request)
    return Status(204, None)
