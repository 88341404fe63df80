"""Production settings: on when SECRET_KEY comes from the environment, clean under Django's
`check --deploy` when served over TLS, and the local run (no SECRET_KEY) as it was.

Settings are read once per process, so each case starts its own Python with the environment
an operator would give it.
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OURS = ("SECRET_KEY", "DEBUG", "ALLOWED_HOSTS")
KEY = secrets.token_urlsafe(50)
TLS = {
    "SECRET_KEY": KEY,
    "ALLOWED_HOSTS": "lab.example.org",
    "MVLAB_TLS": "true",
    "MVLAB_PROXY_SSL_HEADER": "X-Forwarded-Proto: https",
}
# Talks to the site in-process as a browser behind the TLS proxy would (no database needed).
REQUESTS = """
import django; django.setup()
from django.conf import settings
from django.test import Client
browser = Client(HTTP_HOST="lab.example.org")
plain = browser.get("/api/session")
print("plain", plain.status_code, plain.get("Location"))
https = browser.get("/api/session", headers={"X-Forwarded-Proto": "https"})
hsts = https.get("Strict-Transport-Security")
print("https", https.status_code, hsts, https.cookies["csrftoken"]["secure"])
print("session cookie secure", settings.SESSION_COOKIE_SECURE, "debug", settings.DEBUG)
"""


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in OURS and not k.startswith("MVLAB_")}
    clean["DJANGO_SETTINGS_MODULE"] = "mvlab.settings"
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess:
    return _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)


def test_check_deploy_is_clean_in_production_over_tls():
    result = _check_deploy(TLS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (2 silenced)." in result.stdout


def test_production_without_tls_is_warned_of_exactly_what_tls_would_add():
    result = _check_deploy({"SECRET_KEY": KEY})
    assert result.returncode != 0
    warned = {word.strip("():") for word in result.stderr.split() if word.startswith("(security.")}
    assert warned == {"security.W004", "security.W008", "security.W012", "security.W016"}, result.stderr


def test_over_tls_plain_http_is_redirected_and_https_gets_hsts_and_secure_cookies():
    result = _run(["-c", REQUESTS], TLS)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "plain 301 https://lab.example.org/api/session",
        "https 200 max-age=31536000; includeSubDomains True",
        "session cookie secure True debug False",
    ]


def test_the_local_run_keeps_plain_http_cookies_and_its_embedded_key():
    local = {"ALLOWED_HOSTS": "lab.example.org"}
    result = _run(["-c", REQUESTS.replace('headers={"X-Forwarded-Proto": "https"}', "")], local)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "plain 200 None",
        "https 200 None ",
        "session cookie secure False debug False",
    ]


def test_production_refuses_debug_and_a_malformed_proxy_header():
    debug = _run(["manage.py", "check"], {"SECRET_KEY": KEY, "DEBUG": "true"})
    assert debug.returncode != 0
    assert "DEBUG=true with SECRET_KEY set: production never runs with DEBUG" in debug.stderr
    header = _run(["manage.py", "check"], {**TLS, "MVLAB_PROXY_SSL_HEADER": "https"})
    assert header.returncode != 0
    assert "MVLAB_PROXY_SSL_HEADER='https': expected 'Header-Name: value'" in header.stderr


def test_the_admin_site_moves_or_goes_away_with_mvlab_admin_path():
    probe = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "c = Client()\n"
        "print(c.get('/admin/').status_code, c.get('/staff-only/').status_code)\n"
    )
    assert _run(["-c", probe], {}).stdout.split() == ["302", "404"]
    assert _run(["-c", probe], {"MVLAB_ADMIN_PATH": "staff-only/"}).stdout.split() == ["404", "302"]
    assert _run(["-c", probe], {"MVLAB_ADMIN_PATH": "off"}).stdout.split() == ["404", "404"]
    wrong = _run(["manage.py", "check"], {"MVLAB_ADMIN_PATH": "/admin"})
    assert "MVLAB_ADMIN_PATH='/admin': expected a path like 'admin/' or 'off'" in wrong.stderr
