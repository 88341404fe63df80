"""docker-compose.yml: the multi-machine deployment is a file Compose accepts, with every service."""

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> list[str]:
    if (
        shutil.which("docker")
        and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0
    ):
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    pytest.fail(
        "neither `docker compose` nor `docker-compose` is installed (bin/setup installs docker-compose)"
    )


def test_compose_accepts_the_file_and_it_has_every_service():
    done = subprocess.run(
        [*_compose(), "config"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/local/bin:/usr/bin:/bin", "REDIS_PASSWORD": "s3cret"},
    )
    assert done.returncode == 0, done.stderr
    config = yaml.safe_load(done.stdout)
    assert {"redis", "postgres", "web", "worker", "agent", "lab-agent"} <= set(config["services"])
    agent = config["services"]["agent"]
    assert agent["network_mode"] == "host"
    assert {"NET_ADMIN", "SYS_ADMIN"} <= set(agent["cap_add"])
    assert "s3cret" in " ".join(config["services"]["redis"]["command"])
    assert ":s3cret@" in agent["environment"]["MVLAB_BROKER_URL"]
