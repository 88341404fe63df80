"""A kept prediction belongs to the code that made it: changed prediction code predicts again."""

import shutil
import zlib
from pathlib import Path

import pytest

from designer import analysis, designs, topology
from designer.topology.matrix import Matrix
from tests.site.conftest import example

pytestmark = pytest.mark.django_db
DESIGN = example("two-vlans-routed")


@pytest.fixture
def code(tmp_path, monkeypatch, site_redis):
    """A copy of designer/topology whose version the site runs with; this design's predictions kept
    under it are forgotten after the test (a doctored one must never reach another test)."""
    copy = tmp_path / "topology"
    shutil.copytree(Path(topology.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
    design = designs.parse(yaml_text=DESIGN).design
    used = []

    def run_as_it_is() -> str:
        monkeypatch.setattr(analysis, "PREDICTION_CODE", analysis.code_version(copy))
        used.append(analysis.prediction_key(design))
        return used[-1]

    site_redis.delete(run_as_it_is())
    yield copy, run_as_it_is
    site_redis.delete(*used)


def test_a_change_of_the_prediction_code_never_serves_the_old_codes_prediction(owner, site_redis, code):
    copy, run_as_it_is = code
    first = owner.post("/predict", {"yaml": DESIGN})
    assert first.status_code == 200, first.content
    kept_key = run_as_it_is()
    # what the old code said differs from what the new code says: here every pair turns unreachable
    old = Matrix.model_validate(first.json())
    for pair in old.pairs:
        pair.expected = False
    assert site_redis.set(kept_key, zlib.compress(old.model_dump_json().encode()), ex=60, xx=True)
    served = owner.post("/predict", {"yaml": DESIGN}).json()
    assert all(not p["expected"] for p in served["pairs"])  # the same code serves what it kept

    checks = copy / "checks" / "routes.py"  # any source under designer/topology, in a subpackage too
    checks.write_text(checks.read_text() + "\n# changed\n")
    assert run_as_it_is() != kept_key
    again = owner.post("/predict", {"yaml": DESIGN})
    assert again.json() == first.json()
    assert any(p["expected"] for p in again.json()["pairs"])


def test_the_running_code_version_is_that_of_designer_topology():
    assert analysis.PREDICTION_CODE == analysis.code_version(Path(topology.__file__).parent)
