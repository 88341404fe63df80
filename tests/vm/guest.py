"""The first program of a lab VM (tests/vm/lab.py boots it with `vng --exec`): names its NICs, then runs the
test's shell commands that arrive on a virtio serial port, one JSON line each, answering one JSON line each.

    guest.py STATE_DIR LAB_MAC MGMT_MAC

The NIC with LAB_MAC becomes `eth1` (the design's NIC, on the lab's shared L2), the one with MGMT_MAC becomes
`mgmt0` with 10.0.2.15/24 (QEMU's restricted user network, whose only way out is the forward to the test's
Redis). `STATE_DIR/ready` is written once the port is served. Only the standard library: the guest's Python
imports slowly.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

PORT_NAME = "mvltest.ctl"
MGMT_ADDRESS = "10.0.2.15/24"


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True)


def nic_with(mac: str) -> str:
    for device in Path("/sys/class/net").iterdir():
        if (device / "address").read_text().strip() == mac.lower():
            return device.name
    raise SystemExit(f"guest: no NIC with MAC {mac}")


def name_nics(lab_mac: str, mgmt_mac: str) -> None:
    """Renames through temporary names: the kernel may have given either NIC the other's final name."""
    wanted = {"eth1": nic_with(lab_mac), "mgmt0": nic_with(mgmt_mac)}
    for final, current in wanted.items():
        ip("link", "set", current, "name", f"tmp-{final}")
    for final in wanted:
        ip("link", "set", f"tmp-{final}", "name", final)
        ip("link", "set", final, "up")
    ip("link", "set", "lo", "up")
    ip("addr", "add", MGMT_ADDRESS, "dev", "mgmt0")


def control_port() -> str:
    for port in Path("/sys/class/virtio-ports").iterdir():
        if (port / "name").read_text().strip() == PORT_NAME:
            return f"/dev/{port.name}"
    raise SystemExit(f"guest: no virtio serial port named {PORT_NAME}")


def answer(request: dict) -> dict:
    try:
        done = subprocess.run(
            ["sh", "-c", request["sh"]],
            capture_output=True,
            text=True,
            timeout=request.get("timeout", 60),
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return {"rc": -1, "out": "", "err": f"timed out after {request.get('timeout', 60)} s"}
    return {"rc": done.returncode, "out": done.stdout, "err": done.stderr}


def serve(path: str, ready: Path) -> None:
    fd = os.open(path, os.O_RDWR)
    ready.write_text(str(time.monotonic()))
    pending = b""
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:  # the host is not connected (yet, or any more)
            time.sleep(0.1)
            continue
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            reply = memoryview(json.dumps(answer(json.loads(line))).encode() + b"\n")
            while reply:
                reply = reply[os.write(fd, reply) :]


def main(state_dir: str, lab_mac: str, mgmt_mac: str) -> None:
    name_nics(lab_mac, mgmt_mac)
    serve(control_port(), Path(state_dir) / "ready")


if __name__ == "__main__":
    main(*sys.argv[1:])
