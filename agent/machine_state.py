"""What deployments changed in a machine's own namespace beyond their own links, kept so that a
teardown can undo it, even after an agent restart.

Links mvlab makes carry its mark, and routes through them go with them. Two changes carry no mark:
a sysctl of the machine's namespace (kept: the value it had before mvlab first set it, and which
holders need it set), and a route through a link that is not mvlab's (a prefix of the agent's
`--allowed-routes`; kept per holder). A holder is one design host of one deployment, named by
the mark on its namespaces' `lo`, `mvlab:<deployment>@<host>`: one agent may serve several hosts,
and several agents or deployments may share a machine. A sysctl goes back to its earlier value when
its last holder lets it go.

One JSON file per machine, `<run dir>/machine/<namespace inode>.json` (`/run/mvlab` for a root
agent), changed under an flock of that directory's `lock`: /run survives an agent restart and goes
with a reboot, as the kernel's changed values do; the inode tells apart machines (network
namespaces) sharing one /run.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from agent import netns
from agent.neighbour_budget import run_dir


@dataclass
class MachineState:
    sysctls: dict[str, dict] = field(default_factory=dict)  # key -> {"before": value, "holders": [holder]}
    routes: dict[str, list[str]] = field(
        default_factory=dict
    )  # holder -> destinations through links not mvlab's

    @classmethod
    @contextmanager
    def edit(cls, ns: str) -> Iterator[MachineState]:
        """The state of the machine whose namespace is `ns`, locked; written back (or removed when
        empty) at the end."""
        directory = run_dir() / "machine"
        directory.mkdir(mode=0o700, exist_ok=True)
        path = directory / f"{netns.inode(ns)}.json"
        with open(directory / "lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            state = cls(**json.loads(path.read_text())) if path.exists() else cls()
            yield state
            state._save(path)

    def _save(self, path: Path) -> None:
        """Written whole (a crash leaves the old file or the new one)."""
        self.routes = {holder: dsts for holder, dsts in self.routes.items() if dsts}
        if not (self.sysctls or self.routes):
            path.unlink(missing_ok=True)
            return
        part = path.with_suffix(".part")
        part.write_text(json.dumps({"sysctls": self.sysctls, "routes": self.routes}, sort_keys=True))
        os.replace(part, path)

    def holders(self) -> set[str]:
        return {*self.routes, *(holder for kept in self.sysctls.values() for holder in kept["holders"])}

    def held(self, holder: str) -> list[str]:
        """The sysctls `holder` needs set."""
        return sorted(key for key, kept in self.sysctls.items() if holder in kept["holders"])

    def hold(self, holder: str, current: dict[str, str]) -> None:
        """`holder` is about to set these sysctls, whose values are now `current`."""
        for key, value in current.items():
            kept = self.sysctls.setdefault(key, {"before": value, "holders": []})
            if holder not in kept["holders"]:
                kept["holders"].append(holder)

    def release(self, holder: str, keys) -> dict[str, str]:
        """`holder` no longer needs `keys` set; answers the earlier value of those nobody else holds."""
        back = {}
        for key in keys:
            kept = self.sysctls[key]
            kept["holders"].remove(holder)
            if not kept["holders"]:
                back[key] = kept["before"]
                del self.sysctls[key]
        return back
