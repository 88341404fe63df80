"""The browser's API types (frontend/src/api/schema.d.ts) are generated from the OpenAPI document
the site serves (designer/api/openapi.py); a change to an endpoint's body or a wire model (design,
matrix, events) without regenerating them fails here instead of drifting silently."""

import difflib
import subprocess
from pathlib import Path

import pytest

FRONTEND = Path(__file__).resolve().parents[1] / "frontend"
CHECKED_IN = FRONTEND / "src" / "api" / "schema.d.ts"


def test_checked_in_types_match_the_served_openapi(tmp_path: Path) -> None:
    fresh = tmp_path / "schema.d.ts"
    run = subprocess.run(
        [FRONTEND / "scripts" / "types.sh", fresh], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, f"frontend/scripts/types.sh failed:\n{run.stderr}"
    want, have = fresh.read_text().splitlines(keepends=True), CHECKED_IN.read_text().splitlines(keepends=True)
    if want != have:
        diff = "".join(difflib.unified_diff(have, want, "checked in", "generated now", n=1))
        stale = "frontend/src/api/schema.d.ts is stale: run `cd frontend && npm run types`"
        pytest.fail(f"{stale}\n{diff[:3000]}")
