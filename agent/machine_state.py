"""What a deployment changed in a machine's own namespace beyond its own links, kept so that its
teardown can undo it, even after an agent restart.

Links mvlab makes carry its mark, and routes through them go with them. Two changes carry no mark:
a sysctl of the machine's namespace (the value it had before mvlab set it), and a route through a
link that is not mvlab's (a prefix of the agent's `--allowed-routes`). They are kept as JSON in
`<run dir>/machine/<deployment>@<namespace inode>.json` (`/run/mvlab` for a root agent): /run
survives an agent restart and goes with a reboot, as the kernel's changed values do; the inode
tells apart machines (network namespaces) that share one /run.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from agent import netns
from agent.neighbour_budget import run_dir


@dataclass
class MachineState:
    path: Path
    sysctls: dict[str, str] = field(default_factory=dict)  # key -> the value before mvlab set it
    routes: list[str] = field(default_factory=list)  # destinations routed through links not mvlab's

    @classmethod
    def load(cls, deployment: str, ns: str) -> "MachineState":
        directory = run_dir() / "machine"
        directory.mkdir(mode=0o700, exist_ok=True)
        path = directory / f"{deployment}@{netns.inode(ns)}.json"
        try:
            kept = json.loads(path.read_text())
        except FileNotFoundError:
            return cls(path)
        return cls(path, dict(kept["sysctls"]), list(kept["routes"]))

    def save(self) -> None:
        """Written whole (a crash leaves the old file or the new one); removed once there is nothing to undo."""
        if not (self.sysctls or self.routes):
            self.path.unlink(missing_ok=True)
            return
        part = self.path.with_suffix(".part")
        part.write_text(json.dumps({"sysctls": self.sysctls, "routes": sorted(self.routes)}))
        os.replace(part, self.path)
