"""Importing a YAML file (multipart) and exporting a stored version as YAML, shell or docker."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from designer.models import Design, DesignVersion
from tests.site.conftest import example

pytestmark = pytest.mark.django_db


def _upload(api, text: bytes, csrf: bool = True):
    headers = {"X-CSRFToken": api.csrf()} if csrf else {}
    upload = SimpleUploadedFile("design.yaml", text, content_type="application/yaml")
    return api.client.post("/api/designs/import", {"file": upload}, headers=headers)


def test_import_keeps_the_file_exactly(owner):
    text = example("router-namespace")
    response = _upload(owner, text.encode())
    assert response.status_code == 201
    assert DesignVersion.objects.get(design_id=response.json()["id"]).yaml == text


def test_import_of_a_broken_file_stores_nothing(owner):
    response = _upload(owner, b"apiVersion: mvlab/v1\nkind: [\n")
    assert response.status_code == 400
    assert response.json()["errors"][0]["line"] is not None
    assert Design.objects.count() == 0


def test_import_of_binary_is_a_clear_400(owner):
    response = _upload(owner, b"\xff\xfe\x00binary")
    assert response.status_code == 400 and "UTF-8" in response.json()["detail"]


def test_import_needs_csrf_and_a_signed_in_user(owner, stranger):
    assert _upload(owner, example("router-namespace").encode(), csrf=False).status_code == 403
    assert _upload(stranger, example("router-namespace").encode()).status_code == 401
    assert Design.objects.count() == 0


def test_export_yaml_is_the_stored_text(owner, stored):
    response = owner.get(f"/designs/{stored['id']}/export", to="yaml")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    assert response.content.decode() == example("two-vlans-routed")


def test_export_sh_and_docker_name_the_design_networks(owner, stored):
    shell = owner.get(f"/designs/{stored['id']}/export", to="sh").content.decode()
    docker = owner.get(f"/designs/{stored['id']}/export", to="docker").content.decode()
    assert "macvlan" in shell and "172.16.10.10" in shell
    assert "macvlan" in docker and "mac10" in docker


def test_export_of_an_unknown_format_is_a_400(owner, stored):
    response = owner.get(f"/designs/{stored['id']}/export", to="pdf")
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "to"
