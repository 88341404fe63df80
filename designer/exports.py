"""A stored design version as a file to take away: its YAML, a shell script, a Compose file."""

from __future__ import annotations

from typing import Literal

from designer import designs
from designer.models import DesignVersion
from designer.topology import exports
from designer.topology.ipam import allocate

Format = Literal["yaml", "sh", "docker"]


def render(version: DesignVersion, to: Format) -> str:
    """The YAML exactly as stored, or the design compiled to `ip` commands or docker commands."""
    if to == "yaml":
        return version.yaml
    design = designs.parse_version(version).design
    convert = exports.to_shell if to == "sh" else exports.to_docker
    return convert(design, allocate(design))
