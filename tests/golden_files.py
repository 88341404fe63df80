"""Golden files: what a test produces, compared with a reviewed file checked in beside the tests.

One helper for every golden comparison (validation messages, plans, exports, matrices), so they
all regenerate the same way: after a deliberate change, run the test with `MVLAB_UPDATE_GOLDEN=1`,
which rewrites the files, and review `git diff` before committing them.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

UPDATE = "MVLAB_UPDATE_GOLDEN"


def assert_golden(path: Path, text: str) -> None:
    """`text` must be exactly the content of the golden file `path` (rewritten first when updating).

    The failure shows a unified diff, as this module's asserts are not rewritten by pytest.
    """
    if os.environ.get(UPDATE):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    if not path.exists():
        raise AssertionError(f"no golden file {path}: run the test with {UPDATE}=1, then review the file")
    expected = path.read_text()
    if text != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                text.splitlines(keepends=True),
                fromfile=f"{path} (golden)",
                tofile="produced",
                n=2,
            )
        )
        raise AssertionError(
            f"{path.name} differs from its golden file (after a deliberate change: {UPDATE}=1, "
            f"then review the diff):\n{diff}"
        )
