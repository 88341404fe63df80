from django.contrib import admin
from django.urls import include, path

from designer.api import api
from designer.views import class_page, editor

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/", api.urls),
    path("class/", class_page, name="class"),
    path("", editor, name="editor"),
]
