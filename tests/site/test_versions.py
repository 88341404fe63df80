"""Versions: renaming a design (a new version whose YAML changes in its name: line only), and
saving from the editor (JSON) keeping the comments of the file."""

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


def test_a_design_saved_from_the_editor_keeps_the_comments_of_the_file(owner, stored):
    """The editor sends JSON; what it did not change keeps its comments and layout."""
    sent = owner.get(f"/designs/{stored['id']}").json()["design"]
    sent["containers"]["d1"]["networks"]["mac10"]["ip"] = "172.16.10.11"
    del sent["containers"]["d2"]
    response = owner.put(f"/designs/{stored['id']}", {"design": sent})
    assert response.status_code == 200, response.content
    text = response.json()["yaml"]
    assert response.json()["design"] == sent
    assert text.startswith("# The example of DESIGN.md: two VLANs on one wire, host3 routes between them.\n")
    assert "# lets host1 reach its own containers" in text and "# address from IPAM" in text
    assert "172.16.10.11" in text and "d2:" not in text
    assert "routers: {}                    # namespaces with legs" in text  # a default written out stays


def test_a_design_saved_as_yaml_is_stored_as_sent(owner, stored):
    text = example("two-vlans-routed").replace("# address from IPAM", "# IPAM picks")
    assert owner.put(f"/designs/{stored['id']}", {"yaml": text}).json()["yaml"] == text
