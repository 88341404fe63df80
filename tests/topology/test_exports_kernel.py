"""The shell export, run for real: its `ip` commands build a topology that behaves as predicted.

The script runs inside a network and mount namespace this test makes with `unshare`
(the script's "host" is that namespace; its named namespaces live on a private tmpfs
over /run/netns), so nothing of it can touch the machine, and all of it vanishes when
the `unshare` process ends, whatever happened. The host's NICs are veth pairs made
inside. This kernel has no 802.1Q, so the design uses untagged parents.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from designer.topology.exports import to_shell
from designer.topology.ipam import allocate
from designer.topology.predict import predict
from tests.topology.factory import ROUTER, make_design
from tests.unshared import run_unshared

pytestmark = pytest.mark.kernel

PINGER = r"""
import os, select, socket, struct, sys, time

def checksum(data):
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    total = (total >> 16) + (total & 0xFFFF)
    return ~(total + (total >> 16)) & 0xFFFF

sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
ident = os.getpid() & 0xFFFF
for seq, dst in enumerate(sys.argv[2:], 1):
    body = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + b"mvltest!"
    packet = body[:2] + struct.pack("!H", checksum(body)) + body[4:]
    ttl = "none"
    for attempt in range(3):
        try:
            sock.sendto(packet, (dst, 0))
        except OSError:  # no route: the kernel refuses at once
            break
        deadline = time.monotonic() + 0.3
        while ttl == "none" and (left := deadline - time.monotonic()) > 0:
            if not select.select([sock], [], [], left)[0]:
                break
            data, (peer, _) = sock.recvfrom(2048)
            header = (data[0] & 0x0F) * 4
            kind, _, _, got_ident, got_seq = struct.unpack("!BBHHH", data[header:header + 8])
            if peer == dst and kind == 0 and (got_ident, got_seq) == (ident, seq):
                ttl = str(data[8])
        if ttl != "none":
            break
    print(sys.argv[1], dst, ttl, flush=True)
"""


def test_the_shell_script_builds_what_the_design_predicts(tmp_path: Path):
    parts = dict(
        ROUTER, hosts={"host1": {"nics": ["eth1", "eth2"], "shim": {"network": "inside", "ip": "10.1.0.250"}}}
    )
    design = make_design(**parts)
    allocation = allocate(design)
    matrix = predict(design, allocation)
    (tmp_path / "design.sh").write_text(to_shell(design, allocation))
    (tmp_path / "ping.py").write_text(PINGER)

    pings = []
    for src in matrix.endpoints:
        targets = [p.dst_ip for p in matrix.pairs if p.src == src.name]
        runner = "" if src.name == "host1" else f"ip netns exec {src.name} "
        pings.append(f"{runner}{sys.executable} {tmp_path}/ping.py {src.name} {' '.join(targets)}")
    stdout = run_unshared(
        [
            "set -e",
            "mount -t tmpfs mvltest-netns /run/netns",
            "for nic in eth1 eth2; do",
            "  ip link add $nic type veth peer name $nic-wire && ip link set $nic-wire up",
            "done",
            f"sh {tmp_path}/design.sh host1 >/dev/null",
            *pings,
        ]
    )
    observed = {}
    for line in stdout.splitlines():
        src, dst_ip, ttl = line.split()
        observed[(src, dst_ip)] = None if ttl == "none" else int(ttl)
    predicted = {(p.src, p.dst_ip): p.expected_ttl for p in matrix.pairs}
    assert observed == predicted
    assert predicted[("client", "10.2.0.20")] == 63 and predicted[("host1", "10.1.0.10")] == 64
