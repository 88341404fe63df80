"""`python manage.py lab validate FILE` as a user runs it: output and exit status 0/1/2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
GOLDEN = Path(__file__).parent / "golden"


def lab(*args: str, stdin: str | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "lab", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_valid_design_exits_0_with_a_summary():
    done = lab("validate", "examples/two-vlans-routed.yaml")
    assert (done.returncode, done.stdout, done.stderr) == (
        0,
        "ok: two-vlans-routed: 3 hosts, 2 networks, 4 endpoints\n",
        "",
    )


def test_design_errors_exit_1_with_every_issue_on_stderr():
    done = lab("validate", "unknown-references.yaml", cwd=GOLDEN)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == (GOLDEN / "unknown-references.errors").read_text()


def test_shape_errors_exit_1():
    done = lab("validate", "shape-errors.yaml", cwd=GOLDEN)
    assert done.returncode == 1
    assert done.stderr == (GOLDEN / "shape-errors.errors").read_text()


def test_warnings_are_printed_but_do_not_fail():
    done = lab("validate", "warnings-only.yaml", cwd=GOLDEN)
    assert done.returncode == 0
    assert done.stderr == (GOLDEN / "warnings-only.errors").read_text()
    assert done.stdout == "ok: warnings-only: 1 hosts, 2 networks, 1 endpoints\n"


def test_design_from_stdin():
    done = lab("validate", "-", stdin=(ROOT / "examples" / "bridge-one-host.yaml").read_text())
    assert (done.returncode, done.stdout) == (0, "ok: bridge-one-host: 1 hosts, 1 networks, 2 endpoints\n")


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        ((), "the following arguments are required: VERB"),
        (("frobnicate",), "invalid choice: 'frobnicate'"),
        (("validate",), "the following arguments are required: file"),
        (("validate", "examples/bridge-one-host.yaml", "--bogus"), "unrecognized arguments: --bogus"),
        (("validate", "no/such/file.yaml"), "cannot read no/such/file.yaml: No such file or directory"),
    ],
)
def test_misuse_exits_2(args, complaint):
    done = lab(*args)
    assert done.returncode == 2
    assert complaint in done.stderr
    assert "CommandError" not in done.stderr and "Traceback" not in done.stderr
