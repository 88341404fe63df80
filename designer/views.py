"""Pages of the built frontend (frontend/dist) for signed-in users: the editor at `/`, the class
page at `/class/`."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

NOT_BUILT = (
    "<!doctype html><title>mvlab</title><h1>mvlab</h1>"
    "<p>The editor is not built yet: run <code>bin/setup</code> (it builds frontend/dist).</p>"
    '<p>The API is at <a href="/api/docs">/api/docs</a>.</p>'
)


def _built_page(name: str) -> HttpResponse:
    page = settings.FRONTEND_DIST / name
    if not page.exists():
        return HttpResponse(NOT_BUILT)
    return HttpResponse(page.read_text(encoding="utf-8"))


@login_required
def editor(request: HttpRequest) -> HttpResponse:
    return _built_page("index.html")


@login_required
def class_page(request: HttpRequest) -> HttpResponse:
    return _built_page("class.html")
