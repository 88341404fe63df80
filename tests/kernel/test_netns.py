"""agent.netns: an operation meant for a namespace lands there and never in the process's own."""

import json
import os
import secrets
import subprocess
import sys
import threading

import pytest
from pyroute2 import IPRoute

from agent import netns

pytestmark = pytest.mark.kernel


@pytest.fixture
def name():
    ns = f"mvltest-{secrets.token_hex(4)}"
    try:
        yield ns
    finally:
        netns.remove(ns)


def own_inode() -> int:
    return os.stat("/proc/thread-self/ns/net").st_ino


def test_create_is_idempotent_and_remove_forgets(name):
    assert netns.create(name) is True
    assert netns.create(name) is False
    assert netns.exists(name) and name in netns.list_namespaces("mvltest-")
    assert netns.inode(name) != own_inode()
    assert netns.remove(name) is True
    assert netns.remove(name) is False and not netns.exists(name)


def test_a_missing_namespace_is_an_error_and_is_never_created(name):
    for use in (netns.handle, netns.inode, lambda n: netns.run_in(n, lambda: None)):
        with pytest.raises(netns.NamespaceError, match="does not exist"):
            use(name)
    assert not netns.exists(name)


@pytest.mark.parametrize("bad", ["../etc", "a/b", "", ".", "x" * 65])
def test_unusable_names_are_refused(bad):
    with pytest.raises(netns.NamespaceError, match="not a usable namespace name"):
        netns.ns_path(bad)


def test_run_in_enters_only_a_dedicated_thread(name):
    netns.create(name)
    before = own_inode()
    assert netns.run_in(name, own_inode) == netns.inode(name)
    assert own_inode() == before

    def fail():
        raise LookupError("from inside")

    with pytest.raises(LookupError, match="from inside"):
        netns.run_in(name, fail)

    sysctl = netns.sysctl_path("net.ipv4.ip_forward")
    machine = open(sysctl).read()
    wanted = "0" if machine.strip() == "1" else "1"
    netns.run_in(name, lambda: open(sysctl, "w").write(wanted))
    assert netns.run_in(name, lambda: open(sysctl).read().strip()) == wanted
    assert open(sysctl).read() == machine


def test_a_handle_reaches_its_namespace_and_refuses_other_threads(name):
    netns.create(name)
    with netns.handle(name) as ipr:
        ipr.link("add", ifname="mvltest0", kind="veth", peer="mvltest1")
        seen_elsewhere = {}

        def other_thread():
            try:
                ipr.get_links()
                seen_elsewhere["result"] = "used"
            except RuntimeError as exc:
                seen_elsewhere["result"] = str(exc)

        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()
        assert seen_elsewhere["result"] != "used"
    with netns.handle(name) as ipr:
        assert ipr.link_lookup(ifname="mvltest0")
    with IPRoute() as own:
        assert not own.link_lookup(ifname="mvltest0")


# Run in a child process whose own namespace is a throwaway one, so that even a wrong
# outcome cannot touch the machine's namespace; the child reports what it saw.
CROSS_THREAD_CHILD = r"""
import ctypes, json, os, sys, threading
libc = ctypes.CDLL(None, use_errno=True)
assert libc.unshare(0x40000000) == 0, "unshare"
from pyroute2 import IPRoute
from agent import netns
target = sys.argv[1]
netns.create(target)
box = {}
made = threading.Thread(target=lambda: box.update(handle=netns.handle(target)))
made.start(); made.join()

def use_elsewhere():
    try:
        box["handle"].link("add", ifname="crossthr0", kind="veth", peer="crossthr1")
        box["other_thread"] = "worked"
    except RuntimeError:
        box["other_thread"] = "refused"

user = threading.Thread(target=use_elsewhere)
user.start(); user.join()
with netns.handle(target) as ipr:
    in_target = bool(ipr.link_lookup(ifname="crossthr0"))
with IPRoute() as ipr:
    in_own = bool(ipr.link_lookup(ifname="crossthr0"))
netns.remove(target)
print(json.dumps({"other_thread": box["other_thread"], "in_target": in_target, "in_own": in_own}))
"""


def test_a_handle_made_in_one_thread_and_used_in_another_never_lands_in_the_own_namespace(name):
    out = subprocess.run(
        [sys.executable, "-c", CROSS_THREAD_CHILD, name],
        capture_output=True,
        text=True,
        check=True,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
    )
    seen = json.loads(out.stdout)
    assert seen["in_own"] is False
    assert (seen["other_thread"], seen["in_target"]) in {("refused", False), ("worked", True)}
    assert not netns.exists(name)


def test_a_fast_rtnl_client_talks_to_its_namespace_from_any_thread(name):
    netns.create(name)
    with netns.rtnl(name) as rt:
        seen = {}
        thread = threading.Thread(target=lambda: seen.update(names={link.name for link in rt.links()}))
        thread.start()
        thread.join()
    with netns.handle(name) as ipr:
        assert seen["names"] == {link.get_attr("IFLA_IFNAME") for link in ipr.get_links()} == {"lo"}
    assert netns.run_in(name, own_inode) == netns.inode(name)


def test_a_mount_point_left_by_a_create_that_died_is_taken_over(name):
    open(netns.ns_path(name), "w").close()  # what a create killed between its open and its mount leaves
    assert not netns.exists(name)
    with pytest.raises(netns.NamespaceError, match="not a mounted network namespace"):
        netns.handle(name)
    assert netns.create(name) is True and netns.exists(name)
    assert netns.inode(name) != own_inode()
