"""The class board predicts each deployed design once: the prediction its deploy made (analysis)."""

import pytest

from designer import analysis, designs
from designer.models import Deployment
from tests.classroom.conftest import join

pytestmark = pytest.mark.django_db


def test_the_board_of_a_running_deployment_shares_its_designs_one_prediction(
    instructor, alice, room, lab, site_redis, monkeypatch, clean_site_queue
):
    attempt = join(alice, room)[0]
    deployed = alice.post(f"/designs/{attempt['design']}/deploy", {"sandbox": True})
    assert deployed.status_code == 201, deployed.content
    design = designs.parse_version(Deployment.objects.get(pk=deployed.json()["id"]).version).design
    site_redis.delete(analysis.prediction_key(design))
    calls = []
    real = analysis.predict
    monkeypatch.setattr(analysis, "predict", lambda *args: calls.append(args) or real(*args))

    boards = [instructor.get(f"/classes/{room['id']}/board").json() for _ in range(3)]
    mine = alice.get(f"/attempts/{attempt['attempt']}").json()
    csv_text = instructor.get(f"/classes/{room['id']}/results.csv").content.decode()

    assert len(calls) == 1  # the running deployment has no stored matrix: each read merges the prediction
    assert boards[0] == boards[1] == boards[2]
    assert boards[0][0]["deployment"]["state"] == "pending"
    assert boards[0][0]["goals"] == mine["goals"] and boards[0][0]["goals"]["pending"] == 3
    assert "alice" in csv_text
