"""Importing a Compose file names the host it is for: the user says which (the editor asks), and a
name the design could not hold is refused as the host asked for, before the file is read."""

from __future__ import annotations

from urllib.parse import quote

from django.core.files.uploadedfile import SimpleUploadedFile

from designer.models import Design
from designer.topology.compose import to_compose
from designer.topology.ipam import allocate
from designer.topology.yamlio import load_design
from tests.site.conftest import example


def _import(api, text: str, host: str, filename: str = "lab-host2.compose.yaml"):
    upload = SimpleUploadedFile(filename, text.encode())
    return api.client.post(
        f"/api/designs/import?host={quote(host)}", {"file": upload}, headers={"X-CSRFToken": api.csrf()}
    )


def _exported(host: str) -> str:
    design = load_design(example("docker-8021q-trunk")).design
    return to_compose(design, allocate(design), host)


def test_a_hosts_compose_export_imports_as_that_host_of_the_design_it_came_from(owner):
    response = _import(owner, _exported("host2"), "host2")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "docker-8021q-trunk"  # from the export's header, not the file name
    assert body["design"]["hosts"] == {"host2": {"nics": ["enp0s8"]}}
    placed = {name: c["host"] for name, c in body["design"]["containers"].items()}
    assert placed == {"c3": "host2", "c4": "host2"}
    assert body["design"]["containers"]["c3"]["networks"]["mac100"]["mac"] == "02:42:ac:10:64:03"


def test_a_host_name_the_design_cannot_hold_is_refused_as_the_host(owner):
    response = _import(owner, _exported("host1"), "Rack 7")
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["path"] == "host" and error["line"] is None
    assert "'Rack 7' is not a usable name" in error["message"]
    assert Design.objects.count() == 0
