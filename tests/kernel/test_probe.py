"""Concurrent raw-ICMP probing against namespaces this test builds itself.

Topology (all inside `mvltest-<random>-*` namespaces, removed afterwards):

    c (10.9.3.2, fd00:9:3::2) --- a (10.9.3.1 / 10.9.1.1) --- r (forwarding) --- b (10.9.2.1)

`a`'s subnet 10.9.1.0/24 has nobody else on it, so 10.9.1.x (x != 1, 254) never answers.
"""

import secrets
import subprocess

import pytest

from agent.probe import ProbeSetupError, probe_all, probe_hosts
from contract.plan import Probe

pytestmark = pytest.mark.kernel

TIMEOUT = 0.6


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


@pytest.fixture(scope="module")
def lab():
    prefix = f"mvltest-{secrets.token_hex(3)}"
    names = {role: f"{prefix}-{role}" for role in "abcr"}
    try:
        for name in names.values():
            ip("netns", "add", name)
            ip("-n", name, "link", "set", "lo", "up")
        a, b, c, r = names["a"], names["b"], names["c"], names["r"]
        ip("-n", a, "link", "add", "a0", "type", "veth", "peer", "name", "r0", "netns", r)
        ip("-n", b, "link", "add", "b0", "type", "veth", "peer", "name", "r1", "netns", r)
        ip("-n", a, "link", "add", "a1", "type", "veth", "peer", "name", "c0", "netns", c)
        for ns, dev, address in [
            (a, "a0", "10.9.1.1/24"),
            (r, "r0", "10.9.1.254/24"),
            (r, "r1", "10.9.2.254/24"),
            (b, "b0", "10.9.2.1/24"),
            (a, "a1", "10.9.3.1/24"),
            (c, "c0", "10.9.3.2/24"),
        ]:
            ip("-n", ns, "addr", "add", address, "dev", dev)
            ip("-n", ns, "link", "set", dev, "up")
        ip("-n", a, "-6", "addr", "add", "fd00:9:3::1/64", "dev", "a1", "nodad")
        ip("-n", c, "-6", "addr", "add", "fd00:9:3::2/64", "dev", "c0", "nodad")
        ip("-n", a, "route", "add", "10.9.2.0/24", "via", "10.9.1.254")
        ip("-n", b, "route", "add", "default", "via", "10.9.2.254")
        subprocess.run(
            ["ip", "netns", "exec", r, "sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward"], check=True
        )
        yield names
    finally:
        for name in names.values():
            subprocess.run(["ip", "netns", "del", name], capture_output=True)


def probe(src: str, dst: str, dst_ip: str, expected: bool = True) -> Probe:
    return Probe(src=src, dst=dst, dst_ip=dst_ip, expected=expected)


def run(jobs, **kwargs):
    emitted = []
    results = probe_all(jobs, "t1", "host1", emitted.append, timeout=TIMEOUT, **kwargs)
    return results, emitted


def test_reachable_neighbours_report_rtt_and_ttl_64(lab):
    results, _ = run([(lab["a"], probe("a", "c", "10.9.3.2")), (lab["c"], probe("c", "a", "10.9.3.1"))])
    for event in results:
        assert event.observed is True
        assert event.ttl == 64
        assert 0 < event.rtt_ms < TIMEOUT * 1000
        assert (event.deployment, event.host, event.expected) == ("t1", "host1", True)


def test_routed_pair_reports_ttl_63(lab):
    results, _ = run([(lab["a"], probe("a", "b", "10.9.2.1")), (lab["b"], probe("b", "a", "10.9.1.1"))])
    assert [(e.observed, e.ttl) for e in results] == [(True, 63), (True, 63)]


def test_unreachable_pair_is_observed_false(lab):
    results, _ = run([(lab["a"], probe("a", "ghost", "10.9.1.77", expected=False))])
    [event] = results
    assert (event.observed, event.rtt_ms, event.ttl, event.expected) == (False, None, None, False)


def test_no_route_is_observed_false(lab):
    results, _ = run([(lab["c"], probe("c", "b", "10.9.2.1"))])
    assert results[0].observed is False


def test_ipv6_pair(lab):
    results, _ = run(
        [(lab["a"], probe("a", "c", "fd00:9:3::2")), (lab["a"], probe("a", "ghost", "fd00:9:3::99"))]
    )
    assert (results[0].observed, results[0].ttl) == (True, 64)
    assert results[0].rtt_ms > 0
    assert results[1].observed is False


def dead_and_alive(lab):
    """(dead pairs a never sends, dead pairs that leave and die at router r, live pairs).

    r probes too, so its next hops are resolved: those nobody answers fail at once there."""
    unsent = [(lab["a"], probe("a", f"ghost{i}", f"10.9.1.{100 + i}", expected=False)) for i in range(40)]
    forwarded = [(lab["b"], probe("b", f"ghost{i}", f"10.9.1.{140 + i}", expected=False)) for i in range(40)]
    alive = [
        (lab["c"], probe("c", "a", "10.9.3.1")),
        (lab["b"], probe("b", "a", "10.9.1.1")),
        (lab["r"], probe("r", "b", "10.9.2.1")),
    ]
    return unsent, forwarded, alive


def test_dead_pairs_cost_one_deadline_in_all_and_results_stream_as_they_arrive(lab):
    unsent, forwarded, alive = dead_and_alive(lab)
    sends = []
    results, emitted = run(unsent + forwarded + alive, tries=3, sends=sends)

    assert [e.observed for e in results] == [False] * (len(unsent) + len(forwarded)) + [True] * len(alive)
    jobs_sent = {record.job for record in sends}
    # a's own first hop never answered: the kernel's ARP would fail and nothing would leave, so
    # mvlab sends nothing either, and reports those pairs first, without waiting
    assert jobs_sent.isdisjoint(range(len(unsent)))
    assert {e.dst_ip for e in emitted[: len(unsent)]} == {p.dst_ip for _, p in unsent}
    # the dead pairs that do leave were all out before the first of them could time out...
    first = len(unsent)
    first_sends = {record.job: record.at for record in sends if record.attempt == 0 and record.job >= first}
    assert set(first_sends) == set(range(first, first + len(forwarded) + len(alive)))
    assert max(first_sends.values()) - min(first_sends.values()) < TIMEOUT
    # ...and each was retried, within its own timeout
    for job in range(first, first + len(forwarded)):
        attempts = sorted((r.attempt, r.at) for r in sends if r.job == job)
        assert [a for a, _ in attempts] == [0, 1, 2]
        assert attempts[-1][1] - attempts[0][1] < TIMEOUT
    # the live pairs were reported as soon as they answered, before any dead pair that left
    after_unsent = emitted[len(unsent) : len(unsent) + len(alive)]
    assert {e.dst_ip for e in after_unsent} == {p.dst_ip for _, p in alive}


def neighbour_entries(ns: str, prefix: str) -> list[str]:
    out = subprocess.run(
        ["ip", "-n", ns, "neigh", "show", "to", prefix], capture_output=True, text=True, check=True
    )
    return out.stdout.splitlines()


def neighbour_param(ns: str, link: str, param: str) -> str:
    out = subprocess.run(
        ["ip", "netns", "exec", ns, "cat", f"/proc/sys/net/ipv4/neigh/{link}/{param}"],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def test_next_hops_nobody_answered_leave_no_entry_and_their_links_as_they_were(lab):
    unsent, forwarded, alive = dead_and_alive(lab)
    run(unsent + forwarded + alive)

    # no entry for the 80 dead next hops: none pinned, no FAILED one kept, no resolution still going on
    assert [
        e
        for e in neighbour_entries(lab["a"], "10.9.1.0/24") + neighbour_entries(lab["r"], "10.9.1.0/24")
        if not e.startswith(("10.9.1.1 ", "10.9.1.254 "))
    ] == []
    for ns, link in ((lab["a"], "a0"), (lab["r"], "r0")):
        assert (neighbour_param(ns, link, "mcast_solicit"), neighbour_param(ns, link, "app_solicit")) == (
            "3",
            "0",
        )
    # and the kernel resolves them again as always: a plain ping from a makes an entry that fails after 3 s
    subprocess.run(
        ["ip", "netns", "exec", lab["a"], "ping", "-c1", "-W0.2", "10.9.1.100"], capture_output=True
    )
    assert [e.split()[-1] for e in neighbour_entries(lab["a"], "10.9.1.100")] == ["INCOMPLETE"]


def test_answered_probe_is_not_retried(lab):
    sends = []
    run([(lab["a"], probe("a", "c", "10.9.3.2"))], sends=sends)
    assert [r.attempt for r in sends] == [0]


def test_missing_source_namespace_is_a_clear_error(lab):
    missing = lab["a"] + "-missing"
    with pytest.raises(ProbeSetupError, match=missing):
        run([(missing, probe("x", "c", "10.9.3.2"))])


def test_probes_of_several_hosts_run_in_one_pass_and_name_their_host(lab):
    emitted = []
    results = probe_hosts(
        {
            "h1": [(lab["a"], probe("a", "c", "10.9.3.2"))],
            "h2": [(lab["b"], probe("b", "ghost", "10.9.2.77"))],
        },
        "t1",
        emitted.append,
        timeout=TIMEOUT,
    )
    assert [(e.host, e.observed) for e in results["h1"] + results["h2"]] == [("h1", True), ("h2", False)]
    assert sorted(e.host for e in emitted) == ["h1", "h2"]


@pytest.fixture
def dropping_responder():
    """a (10.9.5.9) wired to b (10.9.5.1, 10.9.5.2), whose nftables drop the first 2 ARP requests for
    10.9.5.1 and the first 3 for 10.9.5.2 (28 bytes each), as a receiver overrun by a burst drops them."""
    names = [f"mvltest-{secrets.token_hex(3)}-{side}" for side in "ab"]
    a, b = names
    try:
        for name in names:
            ip("netns", "add", name)
        ip("-n", a, "link", "add", "v0", "type", "veth", "peer", "name", "v1", "netns", b)
        ip("-n", a, "addr", "add", "10.9.5.9/24", "dev", "v0")
        for address in ("10.9.5.1/24", "10.9.5.2/24"):
            ip("-n", b, "addr", "add", address, "dev", "v1")
        ip("-n", a, "link", "set", "v0", "up")
        ip("-n", b, "link", "set", "v1", "up")
        rules = (
            "table arp t {\n chain in {\n  type filter hook input priority 0;\n"
            "  arp operation request arp daddr ip 10.9.5.1 quota until 56 bytes drop\n"
            "  arp operation request arp daddr ip 10.9.5.2 quota until 84 bytes drop\n }\n}\n"
        )
        subprocess.run(["ip", "netns", "exec", b, "nft", "-f", "-"], input=rules, text=True, check=True)
        yield a
    finally:
        for name in names:
            subprocess.run(["ip", "netns", "del", name], capture_output=True)


def test_next_hops_whose_requests_were_lost_are_asked_again_while_asking_still_finds_them(dropping_responder):
    """Three rounds of requests (tries=3): 10.9.5.1 answers the third; so a fourth round goes out,
    which 10.9.5.2 answers; a fifth finds nothing more, and the resolution stops there."""
    results, _ = run(
        [
            (dropping_responder, probe("a", "b", "10.9.5.1")),
            (dropping_responder, probe("a", "b", "10.9.5.2")),
        ],
        tries=3,
    )
    assert [(e.dst_ip, e.observed) for e in results] == [("10.9.5.1", True), ("10.9.5.2", True)]
