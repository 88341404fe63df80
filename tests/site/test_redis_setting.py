"""The site has one Redis setting, REDIS_URL: Celery's broker and results and the channel layer
follow it (a unix socket in each one's spelling), and the CELERY_* variables Celery would take
over it are refused at start instead of splitting the site over two Redis servers.

Settings are read once per process, so each case starts its own Python with the environment."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHOW = """
import django; django.setup()
from django.conf import settings
from mvlab.celery import app
[layer] = settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"]
print(app.conf.broker_url, app.conf.result_backend, layer["address"])
"""


def _python(args: list[str], **env: str) -> subprocess.CompletedProcess:
    ours = ("REDIS_URL", "CELERY_", "MVLAB_")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    clean["DJANGO_SETTINGS_MODULE"] = "mvlab.settings"
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=120
    )


def test_the_broker_results_and_channel_layer_all_follow_redis_url():
    tcp = _python(["-c", SHOW], REDIS_URL="redis://:pw@redis.example:6379/3")
    assert tcp.returncode == 0, tcp.stderr
    assert tcp.stdout.split() == ["redis://:pw@redis.example:6379/3"] * 3
    socket = _python(["-c", SHOW], REDIS_URL="unix:///run/redis/redis.sock")
    assert socket.returncode == 0, socket.stderr
    assert socket.stdout.split() == [
        "redis+socket:///run/redis/redis.sock",  # kombu's name of a unix socket
        "redis+socket:///run/redis/redis.sock",
        "unix:///run/redis/redis.sock",  # redis-py's
    ]


def test_a_celery_broker_or_result_variable_is_refused_naming_redis_url():
    for name in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"):
        check = _python(["manage.py", "check"], **{name: "redis://elsewhere:6379/0"})
        assert check.returncode != 0
        why = "the site's broker, results, events and channel layer all come from REDIS_URL"
        assert f"{name} is set, but {why} (unset {name})" in check.stderr
