"""Names become namespace names, link names and shell words: they must be unique and plain."""

from __future__ import annotations

from contract.plan import NAME_RE
from designer.topology.checks.context import Facts, Report
from designer.topology.model import Design


def check_names(design: Design, facts: Facts, report: Report) -> None:
    owners: dict[str, str] = {}
    for kind in ("hosts", "containers", "routers"):
        for name in getattr(design, kind):
            if name in owners:
                report.error(
                    "name-clash",
                    f"{kind}.{name}",
                    f"{name!r} already names an element of {owners[name]}; each becomes a namespace",
                    "give hosts, containers and routers different names",
                )
            owners.setdefault(name, kind)
    for network, net in design.networks.items():
        for key in net.aux_addresses:
            if not NAME_RE.match(key):
                report.error(
                    "unsafe-name",
                    f"networks.{network}.aux_addresses.{key}",
                    f"{key!r} is not a usable aux address name",
                    "use lowercase letters, digits, '_' and '-', like r or router1",
                )
