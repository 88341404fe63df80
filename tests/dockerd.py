"""A real Docker engine (Debian's docker.io) for one test host, run so that nothing of it reaches
the machine: dockerd lives in a network namespace of the test's own (`ip netns`), in mount and PID
namespaces of its own (`unshare`), with no bridge, no iptables, no forwarding change, its data,
exec root, socket and the containerd it starts in a temporary folder, and tmpfs over the places
Docker would otherwise write (/run/docker, /var/lib/docker, /etc/docker...). Stopping it kills the
PID namespace (every container with it) and removes the cgroups it made.

Containers run an image made here (`docker import`; no registry is reachable): busybox-static for
the shell, sleep and ping, and the machine's own `ip` and `nft` with the libraries they load.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

DOCKERD = "/usr/sbin/dockerd"
CLIENT = "/usr/bin/docker"  # the engine's own version
BUSYBOX = "/bin/busybox"
TOOLS = ("/usr/bin/ip", "/usr/sbin/nft")  # what the exports run inside a container (iproute2, nftables)
IMAGE = "mvlab-busybox:test"
CGROUPS = ("cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids")

# Runs as PID 1's parent in the new namespaces. `ip netns exec` mounts a fresh /sys, which hides the
# machine's cgroup mounts: they are mounted again (cgroup v1, as this machine has them).
INNER = r"""
set -eu
root=$1 group=$2
ip link set lo up
mount -t tmpfs mvltest-cgroup /sys/fs/cgroup
for c in CONTROLLERS; do mkdir /sys/fs/cgroup/$c && mount -t cgroup -o $c cgroup /sys/fs/cgroup/$c; done
mkdir /sys/fs/cgroup/systemd && mount -t cgroup -o none,name=systemd cgroup /sys/fs/cgroup/systemd
for d in /run/docker /run/containerd /var/run/docker /var/lib/docker /var/lib/containerd /etc/docker; do
  mkdir -p $d && mount -t tmpfs mvltest-docker $d
done
exec dockerd --bridge=none --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
  --storage-driver=vfs --data-root $root/data --exec-root $root/exec -H unix://$root/docker.sock \
  --pidfile $root/docker.pid --cgroup-parent=/$group >$root/dockerd.log 2>&1
""".replace("CONTROLLERS", " ".join(CGROUPS))


def installed() -> bool:
    return Path(DOCKERD).exists()


class Dockerd:
    """One engine in the existing named network namespace `netns`; its files in a folder of its own,
    short-named in /tmp: containerd's sockets in it must fit a Unix socket's 108 bytes."""

    def __init__(self, netns: str):
        self.netns = netns
        self.root = Path(tempfile.mkdtemp(prefix="mvd-", dir="/tmp"))
        self.group = f"mvltest-{netns}"
        # the engine's own client first (a newer one, as in /usr/local/bin, asks 20.10 for what it lacks)
        path = f"{Path(DOCKERD).parent.parent / 'bin'}:{os.environ['PATH']}"
        self.env = {**os.environ, "PATH": path, "DOCKER_HOST": f"unix://{self.root}/docker.sock"}
        self.env["MVLAB_IMAGE"] = IMAGE
        self._proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> None:
        self._proc = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                self.netns,
                "unshare",
                "--pid",
                "--fork",
                "--kill-child",
                "--mount",
                "--propagation",
                "private",
                "--mount-proc",
                "sh",
                "-c",
                INNER,
                "sh",
                str(self.root),
                self.group,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + timeout
        while self.docker("version", check=False).returncode != 0:
            if self._proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"dockerd in {self.netns} did not start: {self.log()}")
            time.sleep(0.5)
        self.docker("import", str(_image(self.root / "image")), IMAGE)

    def log(self) -> str:
        path = self.root / "dockerd.log"
        return path.read_text()[-3000:] if path.exists() else "(no log)"

    def docker(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run([CLIENT, *args], env=self.env, capture_output=True, text=True, timeout=60)
        if check and done.returncode != 0:
            raise AssertionError(f"docker {' '.join(args)} in {self.netns}: {done.stderr}")
        return done

    def run(self, *argv: str) -> subprocess.CompletedProcess:
        """`argv` in this engine's network namespace, talking to this engine."""
        return subprocess.run(
            ["ip", "netns", "exec", self.netns, *argv],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )

    def stop(self) -> None:
        """Kills dockerd, so the PID namespace and all in it (containerd, shims, containers) go too."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()  # --kill-child: the namespace's first process dies, and all with it
            self._proc.wait(timeout=30)
        for controller in (*CGROUPS, "systemd"):
            _remove_cgroup(Path("/sys/fs/cgroup", controller, self.group))
        shutil.rmtree(self.root, ignore_errors=True)


def _image(rootfs: Path) -> Path:
    """A tarball of a root file system with busybox, `ip` and `nft` (and their libraries)."""
    (rootfs / "bin").mkdir(parents=True)
    shutil.copy(BUSYBOX, rootfs / "bin" / "busybox")
    for tool in ("sh", "sleep", "ping", "cat"):
        (rootfs / "bin" / tool).symlink_to("busybox")
    needed = set(TOOLS)
    for tool in TOOLS:
        listed = subprocess.run(["ldd", tool], capture_output=True, text=True, check=True).stdout
        needed |= {word for word in listed.split() if word.startswith("/")}
    for path in needed:
        target = rootfs / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(Path(path).resolve(), target)
    tarball = rootfs.with_suffix(".tar")
    subprocess.run(["tar", "-C", str(rootfs), "-cf", str(tarball), "."], check=True)
    return tarball


def _remove_cgroup(group: Path, timeout: float = 10) -> None:
    """Removes a cgroup and those under it, once the killed processes in them have gone."""
    deadline = time.monotonic() + timeout
    while group.exists():
        try:
            for child in sorted((p for p in group.rglob("*") if p.is_dir()), reverse=True):
                child.rmdir()
            group.rmdir()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
