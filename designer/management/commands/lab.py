"""`python manage.py lab VERB ...`: the mvlab command line (DESIGN.md, "Command line").

Each verb is a module `designer/cli/<verb>.py` with `add_arguments(parser)` and
`run(args, stdout, stderr) -> int`. Only the module of the verb being run is imported,
so one verb's dependencies never slow down or break another. Exit status: 0 success,
1 design error, 2 misuse (argparse errors included).
"""

from __future__ import annotations

import argparse
import importlib
import sys

from django.core.management.base import BaseCommand

VERBS = (
    "validate",
    "predict",
    "plan",
    "export",
    "import",
    "up",
    "down",
    "agents",
    "agent",
    "grant",
    "revoke",
)
SUMMARIES = {
    "validate": "check a design file and list every issue",
    "predict": "the reachability a design predicts",
    "plan": "the host plans a deploy would send",
    "export": "the design as YAML, a shell script, docker commands or a host's Compose file",
    "import": "a Docker Compose file's macvlan networks and services as a design",
    "up": "deploy a design, wait, and print the observed matrix",
    "down": "tear a deployment down",
    "agents": "the agents the site knows",
    "agent": "let an agent join (its secret and Redis user), remove it, or remake the Redis users",
    "grant": "let a user or a group deploy to an agent",
    "revoke": "take back a grant",
}
EXIT_MISUSE = 2


class Command(BaseCommand):
    help = "Validate, predict, plan, export and deploy mvlab designs."
    requires_system_checks: list = []
    requires_migrations_checks = False
    _argv: list[str] | None = None

    def run_from_argv(self, argv):
        self._argv = argv
        super().run_from_argv(argv)

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        chosen = self._chosen_verbs()
        verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
        for verb in VERBS:
            sub = verbs.add_parser(verb, help=SUMMARIES[verb], description=SUMMARIES[verb])
            if verb in chosen:
                _verb_module(verb, sub).add_arguments(sub)
        return parser

    def _chosen_verbs(self) -> tuple[str, ...]:
        """The verb on the command line (all verbs when called through `call_command`)."""
        if self._argv is None:
            return VERBS
        return tuple(arg for arg in self._argv[2:] if arg in VERBS)[:1]

    def handle(self, *args, **options):
        from designer.cli.common import Misuse

        stdout = options.get("stdout") or sys.stdout
        stderr = options.get("stderr") or sys.stderr
        verb = options["verb"]
        try:
            code = _verb_module(verb).run(argparse.Namespace(**options), stdout, stderr)
        except Misuse as err:
            stderr.write(f"lab {verb}: {err}\n")
            code = EXIT_MISUSE
        if code:
            raise SystemExit(code)


def _verb_module(verb: str, parser: argparse.ArgumentParser | None = None):
    name = f"designer.cli.{verb}"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as err:
        if err.name != name:
            raise
        message = f"the verb {verb!r} is not available in this installation"
        if parser is not None:
            parser.error(message)
        sys.stderr.write(f"lab {verb}: {message}\n")
        raise SystemExit(EXIT_MISUSE) from None
