"""MAC addresses given in a design: usable as a unicast source, and each one once."""

from __future__ import annotations

from designer.topology.checks.context import Facts, Report
from designer.topology.ipam import mac_from_ip
from designer.topology.model import Design


def check_macs(design: Design, facts: Facts, report: Report) -> None:
    derived = {
        mac_from_ip(leg.attachment.ip): leg.path
        for leg in facts.legs
        if leg.attachment.ip is not None and leg.attachment.mac is None and ":" not in leg.attachment.ip
    }
    given: dict[str, str] = {}
    for leg in facts.legs:
        mac = leg.attachment.mac
        if mac is None:
            continue
        path = f"{leg.path}.mac"
        first_octet = int(mac[:2], 16)
        if mac == "00:00:00:00:00:00":
            report.error(
                "mac-zero",
                path,
                "the all-zero MAC is not a usable address",
                "use a locally administered unicast MAC, like 02:00:00:00:00:01",
            )
        elif first_octet & 1:
            report.error(
                "mac-multicast",
                path,
                f"{mac} is a multicast MAC (lowest bit of the first octet set)",
                "use a unicast MAC: an even first octet, like 02",
            )
        elif not first_octet & 2:
            report.warning(
                "mac-not-local",
                path,
                f"{mac} is not locally administered and may clash with real hardware",
                "set the second-lowest bit of the first octet, like 02:...",
            )
        clash = given.get(mac) or derived.get(mac)
        if clash:
            report.error(
                "duplicate-mac",
                path,
                f"{mac} is already the MAC of {clash}",
                "give each leg its own MAC, or leave mac out for 02:42 plus its IPv4 address",
            )
        given.setdefault(mac, path)
