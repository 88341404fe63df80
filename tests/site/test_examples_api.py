"""GET /api/examples: the shipped example designs, each with what it teaches, read-only."""

import pytest

from tests.site.conftest import EXAMPLES

pytestmark = pytest.mark.django_db
TUTORIAL_LABS = {"docker-8021q-trunk", "two-hosts-same-network", "macvlan-modes", "host-isolation-shim"}


def test_lists_every_example_with_what_it_teaches_and_its_file(owner):
    response = owner.get("/examples")
    assert response.status_code == 200
    found = {e["name"]: e for e in response.json()}
    assert set(found) == {p.stem for p in EXAMPLES.glob("*.yaml")}
    assert TUTORIAL_LABS <= set(found)
    for name, example in found.items():
        assert example["yaml"] == (EXAMPLES / f"{name}.yaml").read_text()
        assert example["teaches"].endswith(".") and "#" not in example["teaches"], name
    assert "hairpin" in found["macvlan-modes"]["teaches"]


def test_every_example_validates_without_errors(owner):
    for example in owner.get("/examples").json():
        body = owner.post("/validate", {"yaml": example["yaml"]}).json()
        assert body["ok"] is True, (example["name"], body["issues"])


def test_needs_sign_in_and_changes_nothing(owner, stranger):
    assert stranger.get("/examples").status_code == 401
    assert owner.post("/examples", {}).status_code == 405
