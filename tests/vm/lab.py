"""A lab of QEMU virtual machines (virtme-ng, software emulation) that run mvlab agents as separate hosts.

Each VM boots Debian's kernel over a read-only snapshot of this machine's filesystem (so this checkout and its
.venv are there), with:
- `eth1`: a virtio NIC on a tap in the lab's wire namespace (`mvltest-vmwire-*`), whose bridge joins every
  VM's tap and nothing else: one L2 that carries only the lab's frames, in a namespace made and removed here;
- `mgmt0`: QEMU user networking with `restrict=on`, whose only way out is a `guestfwd` of 10.0.2.100:6379 to
  the test's Redis on a unix socket (socat, one per connection). The QEMU processes run inside the wire
  namespace, so even user networking's host side has nothing but that namespace's loopback behind it;
- a virtio serial port for the test's shell commands (tests/vm/guest.py serves it; `VM.sh`).
The VMs boot in parallel, once per test session (`vm_lab` in conftest.py). Boot, agent start and deploy
times are printed. A missing tool fails with the package that brings it (`require_tools`).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
BIN = Path(PYTHON).parent
GUEST = Path(__file__).with_name("guest.py")
REDIS_IN_GUEST = "redis://10.0.2.100:6379/0"
BOOT_TIMEOUT = 360.0
AGENT_TIMEOUT = 240.0
MEMORY = "1G"

# tool: the package that brings it (bin/setup installs them all)
TOOLS = {
    "qemu-system-x86_64": "qemu-system-x86 (apt)",
    "busybox": "busybox-static (apt)",
    "socat": "socat (apt)",
    str(BIN / "vng"): "virtme-ng (requirements.txt)",
    str(BIN / "virtme-run"): "virtme-ng (requirements.txt)",
}


def require_tools() -> Path:
    """The kernel to boot; fails (never skips) naming the package of whatever is missing. Run bin/setup."""
    missing = sorted({package for tool, package in TOOLS.items() if shutil.which(tool) is None})
    if missing:
        pytest.fail(
            f"the VM lab needs {', '.join(missing)}: missing on this machine (bin/setup installs them)"
        )
    return kernel()


def kernel() -> Path:
    """The newest Debian kernel in /boot whose modules (8021q, macvlan) are installed."""

    def version(path: Path) -> tuple:
        return tuple(int(n) for n in re.findall(r"\d+", path.name))

    found = [
        k
        for k in Path("/boot").glob("vmlinuz-*-amd64")
        if Path("/lib/modules", k.name.removeprefix("vmlinuz-"), "modules.dep").exists()
    ]
    if not found:
        pytest.fail(
            "the VM lab needs a kernel and its modules in /boot: linux-image-amd64 (apt) is missing "
            "(bin/setup installs it)"
        )
    return max(found, key=version)


def ip(*args: str) -> str:
    done = subprocess.run(["ip", *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


@dataclass
class VM:
    """One booted VM; `name` is its hostname and its agent's name."""

    name: str
    number: int
    state_dir: Path
    process: subprocess.Popen | None = None  # vng, then QEMU, in a process group of their own
    started: float = 0.0
    booted: float | None = None
    agent_pid: int | None = None
    joined: dict[str, str] = field(default_factory=dict)  # the agent's environment from the site (`join`)
    _control: socket.socket | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def lab_mac(self) -> str:
        return f"52:54:00:6d:76:{self.number:02x}"

    @property
    def mgmt_mac(self) -> str:
        return f"52:54:00:6d:77:{self.number:02x}"

    def console(self, lines: int = 30) -> str:
        path = self.state_dir / "console.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def run(self, script: str, timeout: float = 60) -> dict:
        """Runs `sh -c script` in the guest: {"rc", "out", "err"}."""
        with self._lock:
            if self._control is None:
                self._control = socket.socket(socket.AF_UNIX)
                self._control.connect(str(self.state_dir / "ctl.sock"))
            self._control.settimeout(timeout + 30)
            self._control.sendall(json.dumps({"sh": script, "timeout": timeout}).encode() + b"\n")
            reply = b""
            while not reply.endswith(b"\n"):
                chunk = self._control.recv(65536)
                if not chunk:
                    raise RuntimeError(f"{self.name}: the guest closed its control port:\n{self.console()}")
                reply += chunk
        return json.loads(reply)

    def sh(self, script: str, timeout: float = 60) -> str:
        """`run`, failing on a non-zero exit; answers stdout."""
        done = self.run(script, timeout)
        if done["rc"] != 0:
            raise AssertionError(f"{self.name}: `{script}` exited {done['rc']}: {done['err'].strip()}")
        return done["out"]

    def ip_json(self, *args: str) -> list[dict]:
        return json.loads(self.sh(shlex.join(["ip", "-j", *args])) or "[]")

    def start_agent(self, *args: str) -> int:
        """`python -m agent --name NAME --allowed-nics eth1 ARGS` in the guest, in a session of its own,
        with the environment the site gave it (`joined`: its secret, its Redis user at 10.0.2.100); its
        pid."""
        env = {
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "PYTHONPATH": str(ROOT),
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1",
            **self.joined,
        }
        command = shlex.join(
            [
                "env",
                "-i",
                *(f"{k}={v}" for k, v in env.items()),
                "setsid",
                PYTHON,
                "-m",
                "agent",
                "--name",
                self.name,
                "--allowed-nics",
                "eth1",
                *args,
            ]
        )
        log = shlex.quote(str(self.state_dir / "agent.log"))
        where = shlex.quote(str(ROOT))
        self.agent_pid = int(self.sh(f"cd {where} && {command} >>{log} 2>&1 </dev/null & echo $!"))
        return self.agent_pid

    def wait_for_agent(self, client, timeout: float = AGENT_TIMEOUT) -> float:
        """Seconds until the agent's heartbeat is in Redis; fails with its log if it ends or is late."""
        began = time.monotonic()
        while not client.exists(f"mvlab:agent:{self.name}"):
            if self.run(f"kill -0 {self.agent_pid}")["rc"] != 0 or time.monotonic() > began + timeout:
                raise RuntimeError(f"the agent of {self.name} did not start:\n{self.agent_log()}")
            time.sleep(1)
        return time.monotonic() - began

    def agent_log(self, lines: int = 40) -> str:
        path = self.state_dir / "agent.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def stop(self) -> None:
        if self._control is not None:
            self._control.close()
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


@dataclass
class Lab:
    """The VMs, their wire namespace and the Redis their agents reach (`redis_socket` on this side)."""

    wire: str
    vms: list[VM]
    redis_socket: Path
    workdir: Path
    timings: dict[str, float] = field(default_factory=dict)

    def taps(self) -> list[str]:
        """The ports of the wire's bridge, as the kernel lists them."""
        ports = json.loads(ip("-n", self.wire, "-j", "link", "show", "master", "br0"))
        return sorted(link["ifname"] for link in ports)


def make_wire(count: int) -> str:
    """A namespace with a bridge and `count` taps on it (tap1..), for QEMU processes started inside it."""
    wire = f"mvltest-vmwire-{secrets.token_hex(3)}"
    ip("netns", "add", wire)
    ip("-n", wire, "link", "set", "lo", "up")  # user networking pairs its guestfwd's socat over loopback
    ip("-n", wire, "link", "add", "br0", "type", "bridge")
    ip("-n", wire, "link", "set", "br0", "up")
    for number in range(1, count + 1):
        ip("-n", wire, "tuntap", "add", "dev", f"tap{number}", "mode", "tap")
        ip("-n", wire, "link", "set", f"tap{number}", "master", "br0", "up")
    return wire


def boot(wire: str, name: str, number: int, workdir: Path, redis_socket: Path, vmlinuz: Path) -> VM:
    """Starts one VM (returns at once; `wait_booted` waits for its guest program)."""
    state_dir = workdir / name
    state_dir.mkdir()
    vm = VM(name, number, state_dir)
    forward = f"guestfwd=tcp:10.0.2.100:6379-cmd:socat STDIO UNIX-CONNECT:{redis_socket}"
    qemu = [
        "-netdev",
        f"tap,id=lab,ifname=tap{number},script=no,downscript=no",
        "-device",
        f"virtio-net-pci,netdev=lab,mac={vm.lab_mac}",
        "-netdev",
        f"user,id=mgmt,restrict=on,net=10.0.2.0/24,{forward}",
        "-device",
        f"virtio-net-pci,netdev=mgmt,mac={vm.mgmt_mac}",
        "-chardev",
        f"socket,id=mvlctl,path={state_dir / 'ctl.sock'},server=on,wait=off",
        "-device",
        "virtio-serial-pci",
        "-device",
        "virtserialport,chardev=mvlctl,name=mvltest.ctl",
    ]
    command = [
        "ip",
        "netns",
        "exec",
        wire,
        str(BIN / "vng"),
        "--run",
        str(vmlinuz),
        "--disable-kvm",
        "--memory",
        MEMORY,
        "--cpus",
        "1",
        "--name",
        name,
        "--rwdir",
        str(state_dir),
        "--exec",
        shlex.join([PYTHON, str(GUEST), str(state_dir), vm.lab_mac, vm.mgmt_mac]),
        f"--qemu-opts={shlex.join(qemu)}",
    ]
    env = {**os.environ, "PATH": f"{BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}"}
    vm.started = time.monotonic()
    with (state_dir / "console.log").open("w") as console:
        vm.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=console,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return vm


def wait_booted(vms: list[VM]) -> None:
    """Waits until every guest program serves its port (it writes `ready` in its state folder)."""
    deadline = time.monotonic() + BOOT_TIMEOUT
    while any(vm.booted is None for vm in vms):
        for vm in (vm for vm in vms if vm.booted is None):
            if (vm.state_dir / "ready").exists():
                vm.booted = time.monotonic() - vm.started
            elif vm.process.poll() is not None:
                raise RuntimeError(f"VM {vm.name} ended while booting:\n{vm.console()}")
        if time.monotonic() > deadline:
            late = [vm for vm in vms if vm.booted is None]
            raise RuntimeError(
                f"VMs {[vm.name for vm in late]} not up within {BOOT_TIMEOUT:.0f} s:\n"
                + "\n".join(vm.console() for vm in late)
            )
        time.sleep(0.2)


def join(stack, name: str) -> dict[str, str]:
    """What `manage.py lab agent add NAME` of the site gives agent `name` for its machine: its secret, and
    its Redis user on the broker as a guest reaches it."""
    path = stack.workdir / f"agent-{name}.env"
    stack.manage("lab", "agent", "add", name, "--broker", REDIS_IN_GUEST, "--env-file", str(path))
    return dict(shlex.split(line)[0].split("=", 1) for line in path.read_text().splitlines())


def start_agents(lab: Lab, stack, client, say) -> None:
    """Joins every VM's agent to the site and starts them all at once; waits for every heartbeat."""
    for vm in lab.vms:
        vm.joined = join(stack, vm.name)
    began = time.monotonic()
    for vm in lab.vms:
        vm.start_agent()
    for vm in lab.vms:  # all started at once: waiting for each in turn waits for the last
        vm.wait_for_agent(client, timeout=AGENT_TIMEOUT - (time.monotonic() - began))
    lab.timings["agents"] = time.monotonic() - began
    say(f"VM lab: agents started in the VMs (every heartbeat in Redis) in {lab.timings['agents']:.1f} s")


def start_lab(names: list[str], redis_socket: Path, say) -> Lab:
    """Boots one VM per name in parallel; `say` prints a line of timings."""
    vmlinuz = require_tools()
    workdir = Path(tempfile.mkdtemp(prefix="mvltest-vm-"))
    lab = Lab(make_wire(len(names)), [], redis_socket, workdir)
    try:
        began = time.monotonic()
        for number, name in enumerate(names, 1):
            lab.vms.append(boot(lab.wire, name, number, workdir, redis_socket, vmlinuz))
        wait_booted(lab.vms)
        lab.timings["boot"] = time.monotonic() - began
        say(
            f"VM lab: {len(names)} VMs ({vmlinuz.name}, TCG, 1 vCPU, {MEMORY}) booted in parallel in "
            f"{lab.timings['boot']:.1f} s ({', '.join(f'{vm.name} {vm.booted:.1f} s' for vm in lab.vms)})"
        )
    except BaseException:
        stop_lab(lab)
        raise
    return lab


def stop_lab(lab: Lab) -> None:
    for vm in lab.vms:
        vm.stop()
    subprocess.run(["ip", "netns", "del", lab.wire], capture_output=True)
    shutil.rmtree(lab.workdir, ignore_errors=True)
