"""The class page a signed-in user gets at `/class/`: the built frontend/dist/class.html."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

from designer.views import NOT_BUILT


@login_required
def class_page(request: HttpRequest) -> HttpResponse:
    page = settings.FRONTEND_DIST / "class.html"
    if not page.exists():
        return HttpResponse(NOT_BUILT)
    return HttpResponse(page.read_text(encoding="utf-8"))
