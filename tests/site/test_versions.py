"""Renaming a design: a new version whose YAML changes in its name: line only (comments kept)."""

import pytest

from designer.models import DesignVersion
from tests.site.conftest import example

pytestmark = pytest.mark.django_db


def test_rename_adds_a_version_that_changes_only_the_name_line(owner, stored):
    response = owner.post(f"/designs/{stored['id']}/rename", {"name": "my-lab"})
    assert response.status_code == 200, response.content
    assert (response.json()["name"], response.json()["version"]) == ("my-lab", 2)
    before, after = example("two-vlans-routed").splitlines(), response.json()["yaml"].splitlines()
    assert [(a, b) for a, b in zip(before, after, strict=True) if a != b] == [
        ("name: two-vlans-routed", "name: my-lab")
    ]
    assert [d["name"] for d in owner.get("/designs").json()] == ["my-lab"]


@pytest.mark.parametrize("name", ["My Lab", "a: b", ""])
def test_a_name_the_design_refuses_is_a_400_naming_it_and_stores_nothing(owner, stored, name):
    response = owner.post(f"/designs/{stored['id']}/rename", {"name": name})
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "name"
    assert DesignVersion.objects.filter(design_id=stored["id"]).count() == 1


def test_only_the_owner_renames(other, stored):
    assert other.post(f"/designs/{stored['id']}/rename", {"name": "mine"}).status_code == 404
