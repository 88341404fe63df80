"""The import rules between the site, the agent and their contract, read from every module's AST.

`contract/` imports neither side; the agent imports nothing of the site; the site (the project
`mvlab/` and its apps `designer/`, `classroom/`) imports the contract and, of the agent, only what
`ALLOWED` names (each with why). An allowance nobody uses any more fails too, so the list shrinks
as the exceptions go.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# (importing module, imported agent module): why the site may import it
ALLOWED = {
    ("designer.cli.up", "agent.local"): "`lab up --sandbox` is the agent of a local lab sandbox",
    ("designer.cli.down", "agent.local"): "`lab down` removes what a local sandbox left",
    ("designer.deploy", "agent.host_lock"): "the site worker's deployment lease is the agent's Redis lock",
    ("designer.redis_client", "agent.events"): "the site's Redis clients retry a restart as the agent's do",
}


def modules(package: str) -> dict[str, Path]:
    found = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imports(name: str, path: Path) -> set[str]:
    """Every module `name` imports, anywhere in it (functions included), relative imports resolved."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            submodules = {f"{base}.{a.name}" for a in node.names if _is_module(f"{base}.{a.name}")}
            found |= submodules or {base}  # `from agent import local` imports agent.local
    return found


def _top(module: str) -> str:
    return module.partition(".")[0]


SITE = ("mvlab", "designer", "classroom")  # the Django project and its apps
GRAPH = {
    name: imports(name, path)
    for package in ("agent", "contract", *SITE)
    for name, path in modules(package).items()
}
KNOWN = set(GRAPH)


def _edges(sources: tuple[str, ...], targets: tuple[str, ...]) -> set[tuple[str, str]]:
    """(importer, imported) pairs from modules of the packages `sources` into those of `targets`."""
    return {
        (name, imported)
        for name, imported_set in GRAPH.items()
        if _top(name) in sources
        for imported in imported_set
        if _top(imported) in targets and imported in KNOWN
    }


def test_the_walk_sees_every_package_and_import():
    assert {"agent.worker", "contract.plan", "designer.deploy", "designer.cli.up", "mvlab.settings"} <= KNOWN
    assert ("designer.cli.up", "agent.local") in _edges(SITE, ("agent",))
    assert ("designer.deploy", "mvlab.celery") in _edges(("designer",), ("mvlab",))


def test_the_contract_imports_neither_side_nor_django():
    for name, imported in GRAPH.items():
        if _top(name) == "contract":
            assert not {m for m in imported if _top(m) in {"agent", *SITE, "django"}}, name


def test_the_agent_imports_nothing_of_the_site():
    assert _edges(("agent",), SITE) == set()
    assert not {n for n, imported in GRAPH.items() if _top(n) == "agent" and "django" in map(_top, imported)}


def test_the_site_imports_of_the_agent_only_what_is_allowed():
    assert _edges(SITE, ("agent",)) - set(ALLOWED) == set()


def test_every_allowance_is_still_used():
    assert set(ALLOWED) - _edges(SITE, ("agent",)) == set()
