"""Runs the editor's own unit tests (Vitest: model edits, undo/redo, issue mapping, matrix merging)."""

import shutil
import subprocess
from pathlib import Path

import pytest

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"


def test_vitest_suite_passes():
    if shutil.which("npm") is None:
        pytest.fail("npm is not on PATH: the editor cannot be built or tested (node 20 and npm are needed)")
    if not (FRONTEND / "node_modules").is_dir():
        pytest.fail("frontend/node_modules is missing: run bin/setup (npm ci)")
    run = subprocess.run(
        ["npm", "test", "--silent"], cwd=FRONTEND, capture_output=True, text=True, timeout=240, check=False
    )
    assert run.returncode == 0, f"Vitest failed:\n{run.stdout[-4000:]}\n{run.stderr[-2000:]}"
    assert "passed" in run.stdout, run.stdout[-2000:]
