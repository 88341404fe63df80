"""The page a signed-in user gets at `/`: the built editor (frontend/dist/index.html)."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

NOT_BUILT = (
    "<!doctype html><title>mvlab</title><h1>mvlab</h1>"
    "<p>The editor is not built yet: run <code>bin/setup</code> (it builds frontend/dist).</p>"
    '<p>The API is at <a href="/api/docs">/api/docs</a>.</p>'
)


@login_required
def editor(request: HttpRequest) -> HttpResponse:
    index = settings.FRONTEND_DIST / "index.html"
    if not index.exists():
        return HttpResponse(NOT_BUILT)
    return HttpResponse(index.read_text(encoding="utf-8"))
