"""`lab(...)`: the `manage.py lab` command run as a user runs it, in a process of its own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def lab(
    *args: str, stdin: str | None = None, env: dict | None = None, timeout: float = 240
) -> subprocess.CompletedProcess:
    """`manage.py lab ARGS` from the checkout, its output captured as text (never raises on failure)."""
    return subprocess.run(
        [sys.executable, "manage.py", "lab", *args],
        cwd=ROOT,
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
