"""docker-compose.yml (the site) and docker-compose.agent.yml (one agent machine): files Compose
accepts, with every service, that refuse to start without real secrets and never publish Redis on
every interface. (`compose config` interpolates and checks without a Docker engine.)"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SITE_SECRETS = {"REDIS_PASSWORD": "s3cret", "POSTGRES_PASSWORD": "pg-s3cret", "SECRET_KEY": "k3y"}
AGENT_ENV = {
    "MVLAB_AGENT_NAME": "vega",
    "MVLAB_AGENT_SECRET": "a" * 64,
    "MVLAB_BROKER_URL": f"redis://mvlab-agent-vega:{'a' * 64}@192.0.2.1:6379/0",
}


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


def config(file: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*_compose(), "-f", file, "config"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/local/bin:/usr/bin:/bin", **env},
    )


def _redis_ports(service: dict) -> list[tuple[str, str]]:
    """(host address, published port) of each port, in Compose v1's string or v2's long form."""
    found = []
    for port in service.get("ports", []):
        if isinstance(port, dict):
            found.append((port.get("host_ip", ""), str(port["published"])))
        else:
            parts = port.split("/")[0].rsplit(":", 2)
            found.append((parts[0] if len(parts) == 3 else "", parts[-2]))
    return found


def test_the_site_file_has_every_service_and_redis_listens_on_one_address_only():
    done = config("docker-compose.yml", SITE_SECRETS)
    assert done.returncode == 0, done.stderr
    services = yaml.safe_load(done.stdout)["services"]
    assert {"redis", "postgres", "web", "worker", "lab-agent"} <= set(services)
    assert "s3cret" in " ".join(services["redis"]["command"])
    assert _redis_ports(services["redis"]) == [("127.0.0.1", "6379")]
    lab = services["lab-agent"]
    assert "REDIS_PASSWORD" not in str(lab) and "s3cret" not in str(lab)  # it logs in as its own user
    assert "lab agent add" in " ".join(services["web"]["command"])

    remote = config("docker-compose.yml", {**SITE_SECRETS, "MVLAB_REDIS_ADDRESS": "192.0.2.7"})
    assert _redis_ports(yaml.safe_load(remote.stdout)["services"]["redis"]) == [("192.0.2.7", "6379")]


@pytest.mark.parametrize("missing", sorted(SITE_SECRETS))
def test_the_site_refuses_to_start_without_each_secret(missing):
    done = config("docker-compose.yml", {k: v for k, v in SITE_SECRETS.items() if k != missing})
    assert done.returncode != 0
    assert f"set {missing} in .env" in done.stderr


def test_no_secret_falls_back_to_a_default():
    for file in ("docker-compose.yml", "docker-compose.agent.yml"):
        text = (ROOT / file).read_text()
        assert "change-me" not in text
        uses = re.findall(r"\$\{(\w*(?:PASSWORD|SECRET\w*|BROKER_URL))(:?[-?]?)", text)
        assert uses and all(form == ":?" for _, form in uses), (file, uses)


def test_an_agent_machine_needs_its_own_credential_and_none_of_the_sites():
    done = config("docker-compose.agent.yml", AGENT_ENV)
    assert done.returncode == 0, done.stderr
    agent = yaml.safe_load(done.stdout)["services"]["agent"]
    assert agent["network_mode"] == "host" and {"NET_ADMIN", "SYS_ADMIN"} <= set(agent["cap_add"])
    assert agent["environment"]["MVLAB_BROKER_URL"] == AGENT_ENV["MVLAB_BROKER_URL"]
    assert agent["command"][-2:] == ["--name", "vega"]
    assert not {"REDIS_PASSWORD", "SECRET_KEY", "POSTGRES_PASSWORD"} & set(agent["environment"])
    for missing in AGENT_ENV:
        refused = config("docker-compose.agent.yml", {k: v for k, v in AGENT_ENV.items() if k != missing})
        assert refused.returncode != 0 and f"set {missing} in .env" in refused.stderr, missing
