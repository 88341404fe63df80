"""Shell scripts run for real in a network and mount namespace of their own (`unshare`), so an
export's commands touch nothing of the machine: what they make goes with the namespace."""

from __future__ import annotations

import subprocess


def run_unshared(lines: list[str], timeout: float = 120) -> str:
    """Runs `lines` as one `sh` script in new network and mount namespaces; its standard output."""
    done = subprocess.run(
        ["unshare", "--net", "--mount", "--propagation", "private", "sh", "-c", "\n".join(lines)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout
