"""A stored design version as a file to take away: its YAML, a shell script, docker commands, or
the Compose file of one host (refused, saying why and what to run instead, for a host that is not
the design's or runs no container or router: `NoComposeFile`)."""

from __future__ import annotations

from typing import Literal

from designer import designs
from designer.models import DesignVersion
from designer.topology import exports
from designer.topology.compose import NoComposeFile, UnknownHost, hosts_to_choose, to_compose

Format = Literal["yaml", "sh", "docker", "compose"]

__all__ = ["Format", "NoComposeFile", "render"]


def render(version: DesignVersion, to: Format, host: str | None = None) -> str:
    """The YAML exactly as stored (comments kept), or the design compiled for `to`.

    `host` picks the Compose file's host; it may be left out when the design has one host."""
    if to == "yaml":
        return version.yaml
    parsed = designs.parse_version(version)
    design, allocation = parsed.design, parsed.allocation
    if to == "compose":
        if host is None and len(design.hosts) > 1:
            raise UnknownHost(f"say which host's Compose file: {hosts_to_choose(design, allocation)}")
        return to_compose(design, allocation, host or next(iter(design.hosts)))
    convert = exports.to_shell if to == "sh" else exports.to_docker
    return convert(design, allocation)
