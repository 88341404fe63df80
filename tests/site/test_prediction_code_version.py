"""A kept prediction belongs to the code that made it: changed prediction code predicts again."""

import shutil
import zlib
from pathlib import Path

import pytest

from designer import analysis, topology
from designer.topology.matrix import Matrix
from tests.site.conftest import example

pytestmark = pytest.mark.django_db


def test_a_change_of_the_prediction_code_never_serves_the_old_codes_prediction(
    owner, site_redis, monkeypatch, tmp_path
):
    code = tmp_path / "topology"
    shutil.copytree(Path(topology.__file__).parent, code, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(analysis, "PREDICTION_CODE", analysis.code_version(code))
    kept = f"{analysis.PREDICTED_PREFIX}{analysis.PREDICTION_CODE}:*"
    site_redis.delete(*site_redis.keys(kept) or ["-"])
    first = owner.post("/predict", {"yaml": example("two-vlans-routed")})
    assert first.status_code == 200, first.content
    [kept_key] = site_redis.keys(kept)
    # what the old code said differs from what the new code says: here every pair turns unreachable
    old = Matrix.model_validate(first.json())
    for pair in old.pairs:
        pair.expected = False
    site_redis.set(kept_key, zlib.compress(old.model_dump_json().encode()))
    served = owner.post("/predict", {"yaml": example("two-vlans-routed")}).json()
    assert all(not p["expected"] for p in served["pairs"])  # the same code serves what it kept

    checks = code / "checks" / "routes.py"  # any source under designer/topology, in a subpackage too
    checks.write_text(checks.read_text() + "\n# changed\n")
    monkeypatch.setattr(analysis, "PREDICTION_CODE", analysis.code_version(code))
    again = owner.post("/predict", {"yaml": example("two-vlans-routed")})
    assert again.json() == first.json()
    assert any(p["expected"] for p in again.json()["pairs"])


def test_the_running_code_version_is_that_of_designer_topology():
    assert analysis.PREDICTION_CODE == analysis.code_version(Path(topology.__file__).parent)
