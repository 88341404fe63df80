"""The browser's API types (frontend/src/api/schema.d.ts) are generated from the OpenAPI document
the site serves (designer/api/openapi.py); a change to an endpoint's body or a wire model (design,
matrix, events) without regenerating them fails here instead of drifting silently."""

import difflib
import subprocess
from pathlib import Path

import pytest

from contract.events import state_entry
from designer.api.openapi import DeploymentMessage

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


def test_the_websocket_message_schema_is_what_the_site_sends() -> None:
    """`StateEntry` documents `contract.events.state_entry` (it forbids unknown fields): a field added
    to one and not the other fails here."""
    message = {"id": "1700000000000-0", "event": state_entry("d1", "failed", "the agent is gone")}
    assert DeploymentMessage.model_validate(message).model_dump() == message
