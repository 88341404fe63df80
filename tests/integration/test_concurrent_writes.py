"""The running site on its default SQLite database takes requests that write at the same time:
deploys posted at once, while another process (as the site worker does) holds a write, all answer
201, none `database is locked`."""

import secrets
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from tests.integration.test_live_deploy import _wait_state

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
AT_ONCE = 4


def test_deploys_posted_at_once_are_all_taken(live_stack):
    assert live_stack.env["DATABASE_URL"].startswith("sqlite:"), "the live stack should run on SQLite"
    yaml_text = (ROOT / "examples" / "two-vlans-routed.yaml").read_text()
    posts = []
    for number in range(AT_ONCE):
        user = live_stack.user(f"at-once-{number}-{secrets.token_hex(3)}")
        design = user.post(f"{live_stack.url}/api/designs", json={"yaml": yaml_text}, timeout=10)
        assert design.status_code == 201, design.text
        posts.append((user, f"{live_stack.url}/api/designs/{design.json()['id']}/deploy"))

    together = threading.Barrier(AT_ONCE + 1)
    answers: list = [None] * AT_ONCE

    def post(number: int) -> None:
        user, url = posts[number]
        together.wait()
        answers[number] = user.post(url, json={"sandbox": True}, timeout=60)

    threads = [threading.Thread(target=post, args=(number,)) for number in range(AT_ONCE)]
    for thread in threads:
        thread.start()
    worker = sqlite3.connect(live_stack.env["DATABASE_URL"].removeprefix("sqlite:///"), isolation_level=None)
    worker.execute("BEGIN IMMEDIATE")  # a write in the site worker, as it records a deployment's state
    worker.execute("UPDATE designer_deployment SET detail = detail")
    together.wait()
    time.sleep(1)
    worker.execute("COMMIT")
    worker.close()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [201] * AT_ONCE, live_stack.processes["web"].tail()

    for (user, _url), answer in zip(posts, answers, strict=True):
        deployment = answer.json()["id"]
        assert _wait_state(live_stack, user, deployment, {"done", "failed"}, timeout=300)["state"] == "done"
        teardown = user.post(f"{live_stack.url}/api/deployments/{deployment}/teardown", timeout=10)
        assert teardown.status_code == 202, teardown.text
        assert _wait_state(live_stack, user, deployment, {"torn_down", "failed"})["state"] == "torn_down"
