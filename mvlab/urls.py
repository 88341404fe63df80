"""The project's URL routes: the admin (MVLAB_ADMIN_PATH), sign-in, the API (`designer.api`), the pages."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from designer.api import api
from designer.views import class_page, editor

# The admin site is at MVLAB_ADMIN_PATH, or nowhere when it is "off" (settings).
admin_urls = [] if settings.MVLAB_ADMIN_PATH == "off" else [path(settings.MVLAB_ADMIN_PATH, admin.site.urls)]

urlpatterns = [
    *admin_urls,
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/", api.urls),
    path("class/", class_page, name="class"),
    path("", editor, name="editor"),
]
