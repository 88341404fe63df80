"""A design too large to predict in about a second is refused at every door with 422 naming its
size and the limit (MVLAB_MAX_PREDICTED_PAIRS); one at the limit passes. The size counted is
exactly the pairs prediction computes."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from bench.topology import design as bench_design
from designer.models import DesignVersion
from designer.topology.yamlio import dump_design
from tests.site.conftest import example

pytestmark = pytest.mark.django_db

DESIGN = example("two-vlans-routed")


def _too_large(endpoints: int, addresses: int, pairs: int, limit: int) -> dict:
    return {
        "detail": (
            f"the design is too large to predict in about a second: {endpoints} endpoints holding "
            f"{addresses} addresses make {pairs:,} pairs to predict, the limit MVLAB_MAX_PREDICTED_PAIRS "
            f"is {limit:,}; remove containers or addresses, or split the design"
        ),
        "errors": [  # so the editor lists it with the design's issues, and holds its deploy
            {
                "severity": "error",
                "path": "",
                "line": None,
                "message": (
                    f"too large to predict: {pairs:,} pairs, more than MVLAB_MAX_PREDICTED_PAIRS ({limit:,})"
                ),
                "hint": "remove containers or addresses, or split the design",
            }
        ],
    }


def _import(api, text: str):
    upload = SimpleUploadedFile("lab.yaml", text.encode(), content_type="application/x-yaml")
    return api.client.post("/api/designs/import", {"file": upload}, headers={"X-CSRFToken": api.csrf()})


def _every_door(api, text: str, stored: int) -> dict:
    """The answers of validate, predict, create, import, save and deploy to the design `text`."""
    return {
        "validate": api.post("/validate", {"yaml": text}),
        "predict": api.post("/predict", {"yaml": text}),
        "create": api.post("/designs", {"yaml": text}),
        "import": _import(api, text),
        "save": api.put(f"/designs/{stored}", {"yaml": text}),
        "deploy": api.post(f"/designs/{stored}/deploy", {"sandbox": True}),
    }


def test_the_count_is_the_pairs_predicted_and_the_limit_is_inclusive(owner, stored, settings):
    pairs = len(owner.post("/predict", {"yaml": DESIGN}).json()["pairs"])
    assert pairs == 5 * 7  # 4 containers, host1 (its shim) and host3 (two): 6 endpoints, 7 addresses
    settings.MVLAB_MAX_PREDICTED_PAIRS = pairs
    assert owner.post("/predict", {"yaml": DESIGN}).status_code == 200
    settings.MVLAB_MAX_PREDICTED_PAIRS = pairs - 1
    versions = DesignVersion.objects.count()
    answers = _every_door(owner, DESIGN, stored["id"])
    for door, answer in answers.items():
        assert answer.status_code == 422, (door, answer.content)
        assert answer.json() == _too_large(6, 7, pairs, pairs - 1), door
    assert DesignVersion.objects.count() == versions  # nothing stored


def test_the_default_limit_takes_100_containers_and_refuses_300(owner, stored, settings):
    fits = dump_design(bench_design(100))
    assert owner.post("/validate", {"yaml": fits}).status_code == 200
    large = dump_design(bench_design(300))  # and the forwarding host's 4 gateway addresses
    refused = owner.post("/validate", {"yaml": large})
    assert refused.status_code == 422
    assert refused.json() == _too_large(301, 304, 300 * 304, settings.MVLAB_MAX_PREDICTED_PAIRS)


def test_others_reach_no_door_of_the_owner(owner, other, stranger, stored, settings):
    settings.MVLAB_MAX_PREDICTED_PAIRS = 1
    assert other.put(f"/designs/{stored['id']}", {"yaml": DESIGN}).status_code == 404
    assert other.post(f"/designs/{stored['id']}/deploy", {"sandbox": True}).status_code == 404
    assert stranger.post("/validate", {"yaml": DESIGN}).status_code == 401
