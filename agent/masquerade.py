"""Source NAT of a router namespace with nftables, from validated plan data only.

The ruleset is built as nftables JSON (no string templating) and loaded with
`nft -j -f -` started from a thread inside the router namespace, so the child
process and its ruleset live there. mvlab owns one table, `inet mvlab`; each
rule's comment records the plan rule it came from, which makes "is the kernel
already right?" a set comparison.
"""

from __future__ import annotations

import ipaddress
import json
import shutil
import socket
import struct
import subprocess

from agent import netns
from contract.plan import Masquerade, owner_mark

TABLE = {"family": "inet", "name": "mvlab"}
CHAIN = "postrouting"
NETLINK_NETFILTER = 12
NFT_GETTABLE = (10 << 8) | 1  # NFNL_SUBSYS_NFTABLES, NFT_MSG_GETTABLE
NFTA_TABLE_NAME = 1
NFPROTO_INET = 1
NLM_F_REQUEST, NLM_F_DUMP = 0x1, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3


def _comment(deployment: str, rule: Masquerade) -> str:
    return f"{owner_mark(deployment)} {rule.source} out {rule.out_link}"


def _rule(deployment: str, rule: Masquerade) -> dict:
    network = ipaddress.ip_network(rule.source)
    protocol = "ip" if network.version == 4 else "ip6"
    return {
        "family": TABLE["family"],
        "table": TABLE["name"],
        "chain": CHAIN,
        "comment": _comment(deployment, rule),
        "expr": [
            {
                "match": {
                    "op": "==",
                    "left": {"payload": {"protocol": protocol, "field": "saddr"}},
                    "right": {"prefix": {"addr": str(network.network_address), "len": network.prefixlen}},
                }
            },
            {"match": {"op": "==", "left": {"meta": {"key": "oifname"}}, "right": rule.out_link}},
            {"masquerade": None},
        ],
    }


def ruleset(deployment: str, rules: list[Masquerade]) -> dict:
    """The whole mvlab table, replacing any previous one in one transaction."""
    commands = [{"add": {"table": TABLE}}, {"delete": {"table": TABLE}}]
    if rules:
        commands += [
            {"add": {"table": TABLE}},
            {
                "add": {
                    "chain": {
                        "family": TABLE["family"],
                        "table": TABLE["name"],
                        "name": CHAIN,
                        "type": "nat",
                        "hook": "postrouting",
                        "prio": 100,
                        "policy": "accept",
                    }
                }
            },
        ]
        commands += [{"add": {"rule": _rule(deployment, rule)}} for rule in rules]
    return {"nftables": commands}


def _nft(args: list[str], stdin: str | None = None) -> subprocess.CompletedProcess:
    binary = shutil.which("nft") or "/usr/sbin/nft"
    return subprocess.run([binary, *args], input=stdin, capture_output=True, text=True, timeout=30)


def _current_comments() -> set[str] | None:
    """Comments of the rules in the mvlab table of the calling thread's namespace; None: no table."""
    listed = _nft(["-j", "list", "table", TABLE["family"], TABLE["name"]])
    if listed.returncode != 0:
        return None
    items = json.loads(listed.stdout)["nftables"]
    return {item["rule"].get("comment", "") for item in items if "rule" in item}


def has_table() -> bool:
    """Does the calling thread's namespace hold table `inet mvlab`? One nfnetlink dump, no process."""
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_NETFILTER)
    try:
        sock.bind((0, 0))
        request = struct.pack("=IHHII", 20, NFT_GETTABLE, NLM_F_REQUEST | NLM_F_DUMP, 1, 0)
        sock.send(request + struct.pack("=BBH", socket.AF_UNSPEC, 0, 0))  # nfgenmsg: every family
        found = False
        while True:
            data = sock.recv(1 << 16)
            offset = 0
            while offset + 16 <= len(data):
                length, mtype = struct.unpack_from("=IH", data, offset)
                if mtype in (NLMSG_DONE, NLMSG_ERROR):  # an error: no nf_tables here, so no table
                    return found
                family = data[offset + 16]
                attr = offset + 20
                while attr + 4 <= offset + length:
                    alen, akind = struct.unpack_from("=HH", data, attr)
                    if akind == NFTA_TABLE_NAME and family == NFPROTO_INET:
                        found |= data[attr + 4 : attr + alen].rstrip(b"\0").decode() == TABLE["name"]
                    attr += (alen + 3) & ~3
                offset += (length + 3) & ~3
    finally:
        sock.close()


def sync_masquerade(namespace: str, deployment: str, rules: list[Masquerade]) -> str | None:
    """Make the mvlab table of `namespace` hold exactly `rules`.

    Returns "created", "changed", "removed" or None (already right). Without rules,
    a namespace without the table costs one netlink dump and no `nft` process.
    """
    wanted = {_comment(deployment, rule) for rule in rules}

    def inside() -> str | None:
        if not rules and not has_table():
            return None
        have = _current_comments()
        if (have is None and not rules) or have == wanted:
            return None
        loaded = _nft(["-j", "-f", "-"], json.dumps(ruleset(deployment, rules)))
        if loaded.returncode != 0:
            raise RuntimeError(f"nft refused the ruleset: {loaded.stderr.strip()}")
        return "removed" if not rules else "created" if have is None else "changed"

    return netns.run_in(namespace, inside)
