"""`python -m agent --name NAME [--sandbox [--as-user USER]] [--allowed-nics enp0s8,...]
[--allowed-routes 10.0.0.0/8,...]`: run this host's agent.

The agent's secret comes from $MVLAB_AGENT_SECRET (never the command line, which every user of the
machine can read); the site makes it with `manage.py lab agent add NAME` (contract.trust)."""

from __future__ import annotations

import argparse
import ipaddress
import os
import pwd
import sys

from agent.rootless import unprivileged_uid
from contract.plan import check_ifname, check_name
from contract.trust import SECRET_ENV, signing_key

ALLOWED_NICS_ENV = "MVLAB_ALLOWED_NICS"
ALLOWED_ROUTES_ENV = "MVLAB_ALLOWED_ROUTES"


def _name(value: str) -> str:
    try:
        return check_name(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _nics(value: str) -> frozenset[str]:
    try:
        return frozenset(check_ifname(nic.strip()) for nic in value.split(",") if nic.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _prefixes(value: str) -> tuple:
    try:
        return tuple(ipaddress.ip_network(prefix.strip()) for prefix in value.split(",") if prefix.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _uid(value: str) -> int:
    try:
        return pwd.getpwnam(value).pw_uid
    except KeyError:
        raise argparse.ArgumentTypeError(f"no user {value!r} on this machine") from None


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m agent", description="The mvlab agent of one host.")
    parser.add_argument("--name", required=True, type=_name, help="agent name; it consumes queue agent.NAME")
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="run lab sandboxes (every host emulated here), rootless: in a helper process inside user, "
        "mount and network namespaces of its own, owned by an unprivileged user",
    )
    parser.add_argument(
        "--as-user",
        type=_uid,
        metavar="USER",
        dest="sandbox_uid",
        help="with --sandbox, started as root: the unprivileged user the sandboxes' helper becomes "
        "(default nobody); started as another user, the helper stays that user",
    )
    parser.add_argument(
        "--allowed-nics",
        type=_nics,
        default=os.environ.get(ALLOWED_NICS_ENV, ""),
        metavar="NIC,...",
        help=f"the only NICs plans may use as parents on this (real) host; none by default, so a host "
        f"agent refuses every plan until told (default from ${ALLOWED_NICS_ENV})",
    )
    parser.add_argument(
        "--allowed-routes",
        type=_prefixes,
        default=os.environ.get(ALLOWED_ROUTES_ENV, ""),
        metavar="PREFIX,...",
        help=f"prefixes a design's host routes may send through links mvlab did not make (a NIC); without "
        f"them a host route must leave through a link of its deployment (default from ${ALLOWED_ROUTES_ENV})",
    )
    args = parser.parse_args(argv)
    if os.geteuid() != 0 and args.sandbox_uid not in (None, os.geteuid()):
        parser.error("--as-user needs root")
    if args.sandbox and args.sandbox_uid is None:
        args.sandbox_uid = unprivileged_uid()
    if not os.environ.get(SECRET_ENV):
        parser.error(
            f"${SECRET_ENV} is not set: agent {args.name} has no secret, so it could tell no plan of the "
            f"site from a forged one; on the site run `manage.py lab agent add {args.name}` and start the "
            "agent with the environment it prints"
        )
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    from agent.worker import configure, run_worker  # after argument errors, which need no Celery

    key = signing_key(os.environ[SECRET_ENV])
    cfg = configure(args.name, args.sandbox, args.allowed_nics, args.allowed_routes, args.sandbox_uid, key)
    run_worker(cfg)


if __name__ == "__main__":
    main()
