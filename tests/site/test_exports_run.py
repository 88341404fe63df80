"""The shell export run for real, as a user would: `up` twice (the second run rebuilds), then
`down`, which leaves the host as it was.

The script's host is a network and mount namespace of the test's own (`unshare`), whose NICs
are veth pairs made inside; a tmpfs over /run holds its named namespaces and the sysctl values
`up` keeps, so nothing touches the machine and everything vanishes when `unshare` ends.
(This kernel has no 802.1Q, so the design's parents are untagged.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from designer.topology.exports import to_shell
from designer.topology.ipam import allocate
from designer.topology.yamlio import load_design
from tests.site.conftest import example
from tests.unshared import run_unshared

pytestmark = pytest.mark.kernel

HOST = "host1: {nics: [eth1, eth2], forwarding: true, shim: {network: inside, ip: 10.1.0.250},"
HOST += " addresses: {eth2: 10.2.0.5/24}, routes: [{to: 10.9.0.0/24, via: 10.2.0.20}]}"

# What the host holds, one fact a line, so two states compare as sets (link-local addresses left
# out: the kernel adds them as it pleases). The NICs are up before: `down` leaves them up.
SNAPSHOT = r"""
snap() {
  echo "== $1"
  ip -o link | awk -F': ' '{print "link " $2}' | cut -d@ -f1
  ip -o addr | awk '$4 !~ /^fe80:/ {print "addr " $2 " " $4}'
  ip route | sed 's/^/route /'
  ls /run/netns | sed 's/^/netns /'
  for ns in $(ls /run/netns); do ip -n "$ns" -o addr | awk -v n="$ns" '{print "in " n " " $2 " " $4}'; done
  echo "forwarding $(sysctl -n net.ipv4.ip_forward)"
  find /run/mvlab-export -type f 2>/dev/null | sed 's/^/kept /'
}
"""


def _design_text() -> str:
    text = example("router-namespace")
    plain = "  host1: {nics: [eth1, eth2]}"
    assert plain in text
    return text.replace(plain, f"  {HOST}")


def _run(script: Path, steps: list[str]) -> dict[str, set[str]]:
    stdout = run_unshared(
        [
            "set -e",
            SNAPSHOT,
            "mount -t tmpfs mvltest-run /run && mkdir /run/netns",
            "ip link set lo up",
            "for nic in eth1 eth2; do",
            "  ip link add $nic type veth peer name $nic-wire",
            "  ip link set $nic-wire up && ip link set $nic up",
            "done",
            "snap before",
            *(f"sh {script} host1 {step} >/dev/null && snap '{step} {n}'" for n, step in enumerate(steps)),
        ]
    )
    states: dict[str, set[str]] = {}
    for line in stdout.splitlines():
        if line.startswith("== "):
            current = states.setdefault(line[3:], set())
        else:
            current.add(line)
    return states


def test_the_shell_export_runs_twice_and_down_leaves_nothing(tmp_path: Path):
    loaded = load_design(_design_text())
    script = tmp_path / "design.sh"
    script.write_text(to_shell(loaded.design, allocate(loaded.design)))

    states = _run(script, ["up", "up", "down", "down"])

    built = states["up 0"]
    assert {"netns client", "netns server", "netns r1"} <= built
    assert {"in client eth0 10.1.0.10/24", "in r1 eth1 10.2.0.1/24", "addr eth2 10.2.0.5/24"} <= built
    assert "addr mvs-inside 10.1.0.250/32" in built and "forwarding 1" in built
    assert any(line.startswith("route 10.9.0.0/24 via 10.2.0.20") for line in built)
    assert states["up 1"] == built  # the second run rebuilt the same, without "File exists"
    assert states["down 2"] == states["before"]  # nothing left: links, addresses, routes, forwarding
    assert states["down 3"] == states["before"]  # and down again is harmless
