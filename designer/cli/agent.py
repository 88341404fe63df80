"""`lab agent add|remove|sync`: which agents may join this site, each with a secret of its own.

`add NAME` makes the agent's secret and its Redis user (`mvlab-agent-NAME`, allowed only its own
queue and keys: contract.trust) and prints the environment the agent starts with; run again, it prints
the same (`--rotate` makes a new secret, and the old one stops working at once). `remove NAME`
takes it all back: the agent's connections are cut and nothing it signs is believed any more.
`sync` makes every recorded agent's Redis user again (after Redis lost its ACLs in a restart).
"""

from __future__ import annotations

import argparse
import os
import shlex
from pathlib import Path
from typing import TextIO

import redis
from django.conf import settings

from contract.plan import check_name
from designer import agent_credentials
from designer.cli.common import EXIT_OK, Misuse


def _name(value: str) -> str:
    try:
        return check_name(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser(
        "add", help="let agent NAME join: make its secret and Redis user, print its environment"
    )
    add.add_argument("name", type=_name, help="the agent's name (its queue is agent.NAME)")
    add.add_argument(
        "--broker",
        metavar="URL",
        help="the Redis URL as the agent's machine reaches it (default: this site's broker), e.g. "
        "redis://site.example:6379/0; the agent's user and secret are put into it",
    )
    add.add_argument("--rotate", action="store_true", help="a new secret: the agent's old one stops working")
    add.add_argument(
        "--without-redis-user",
        action="store_true",
        help="make no Redis user (a Redis without ACLs, e.g. a development machine's): the agent logs in "
        "as the broker URL says; its tasks and events are still signed",
    )
    add.add_argument(
        "--env-file", metavar="PATH", help="write the environment to PATH (mode 0600) instead of printing it"
    )
    remove = actions.add_parser("remove", help="take agent NAME's secret and Redis user back")
    remove.add_argument("name", type=_name)
    actions.add_parser("sync", help="make every added agent's Redis user again (after Redis lost its ACLs)")


def _env_lines(env: dict[str, str]) -> str:
    return "".join(f"{key}={shlex.quote(value)}\n" for key, value in env.items())


def _add(args: argparse.Namespace, stdout: TextIO) -> int:
    broker = args.broker or agent_credentials.without_credentials(settings.CELERY_BROKER_URL)
    cred = agent_credentials.add(args.name, with_redis_user=not args.without_redis_user, rotate=args.rotate)
    lines = _env_lines(cred.env(broker))
    if args.env_file:
        path = Path(args.env_file)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(lines)
        os.chmod(path, 0o600)
        stdout.write(f"agent {cred.name}: its environment is in {path}\n")
        return EXIT_OK
    stdout.write(
        f"agent {cred.name} may join. On its machine, keep these two lines secret (e.g. in an .env file of "
        f"mode 0600) and start the agent with them in its environment:\n\n{lines}\n"
        f"  python -m agent --name {cred.name} --allowed-nics NIC,...\n"
        "or put them in the .env of docker-compose.agent.yml: "
        "docker compose -f docker-compose.agent.yml up -d\n"
    )
    return EXIT_OK


def run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    try:
        if args.action == "add":
            return _add(args, stdout)
        if args.action == "remove":
            gone = agent_credentials.remove(args.name)
            done = "secret and Redis user removed" if gone else "had no credential"
            stdout.write(f"agent {args.name}: {done}\n")
            return EXIT_OK
        names = agent_credentials.sync()
        stdout.write(f"Redis users made again: {', '.join(names) or 'none'}\n")
        return EXIT_OK
    except redis.ResponseError as exc:
        raise Misuse(
            f"Redis refused to change its users ({exc}); it needs Redis 7 with ACLs, or --without-redis-user"
        ) from None
