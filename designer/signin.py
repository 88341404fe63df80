"""What a sign-in refused by the throttle (django-axes, settings "Sign-in throttling") answers.

429 either way: the API's error JSON for `POST /api/session`, the sign-in page with the reason for
the form. The message names the limit and when to try again; it is the same whether or not the
password was right, so a locked-out attempt tells nothing about the password.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

STATUS = 429


def failure_limit(*args) -> int:
    """AXES_FAILURE_LIMIT, read when asked (tests and operators change MVLAB_SIGNIN_FAILURES)."""
    return settings.MVLAB_SIGNIN_FAILURES


def lockout(*args) -> dt.timedelta:
    """AXES_COOLOFF_TIME, read when asked."""
    return dt.timedelta(seconds=settings.MVLAB_SIGNIN_LOCKOUT_SECONDS)


def message() -> str:
    return (
        f"too many failed sign-ins: after {settings.MVLAB_SIGNIN_FAILURES} wrong passwords for this "
        f"username from this address (MVLAB_SIGNIN_FAILURES), sign-in is refused for "
        f"{settings.MVLAB_SIGNIN_LOCKOUT_SECONDS} s (MVLAB_SIGNIN_LOCKOUT_SECONDS) after the last attempt"
    )


def locked_out(request: HttpRequest, *args) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE. axes passes (request, response, credentials) from its synchronous
    middleware but (request, credentials) from its asynchronous one: the extra arguments are unused."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message(), "errors": []}, status=STATUS)
    form = AuthenticationForm(request, initial={"username": request.POST.get("username", "")})  # unbound:
    # a bound form would check the password again, and count one more failure
    return render(request, "registration/login.html", {"form": form, "locked": message()}, status=STATUS)
