"""Saving designs: parse what a user sent, keep every save as a new version, never lose one.

A design arrives as YAML text or as the JSON form of the schema. YAML is stored exactly
as received; JSON is stored as the canonical YAML `dump_design` writes. Input that does
not parse raises `DesignError` before anything is written; input that parses is saved
even with validation issues (a design is often saved half-drawn), and the issues are
answered with it. Deploying refuses designs with errors.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from designer.models import Design, DesignVersion
from designer.topology.issues import Issue
from designer.topology.model import Design as DesignModel
from designer.topology.validate import validate
from designer.topology.yamlio import LoadedDesign, dump_data, dump_design, load_design


@dataclass(frozen=True)
class Parsed:
    yaml: str
    loaded: LoadedDesign
    issues: list[Issue]

    @property
    def design(self) -> DesignModel:
        return self.loaded.design

    def as_json(self) -> dict:
        return self.design.model_dump(mode="json", by_alias=True, exclude_defaults=True)


def parse(*, yaml_text: str | None = None, design: dict | None = None) -> Parsed:
    """Loads and validates a design given as YAML text or as JSON data; raises DesignError."""
    if yaml_text is None:
        first = load_design(dump_data(design))
        yaml_text = dump_design(first.design)
    loaded = load_design(yaml_text)
    return Parsed(yaml=yaml_text, loaded=loaded, issues=validate(loaded.design, loaded.lines))


def parse_version(version: DesignVersion) -> Parsed:
    """The stored YAML of a version, loaded again (so issues carry lines of that text)."""
    return parse(yaml_text=version.yaml)


@transaction.atomic
def create(owner, parsed: Parsed) -> DesignVersion:
    design = Design.objects.create(owner=owner, name=parsed.design.name)
    return DesignVersion.objects.create(design=design, number=1, yaml=parsed.yaml, data=parsed.as_json())


@transaction.atomic
def save_version(design: Design, parsed: Parsed) -> DesignVersion:
    """Adds a version; the design row is locked so two saves never get the same number."""
    design = Design.objects.select_for_update().get(pk=design.pk)
    latest = design.latest()
    design.name = parsed.design.name
    design.save(update_fields=["name", "updated"])
    return DesignVersion.objects.create(
        design=design, number=latest.number + 1, yaml=parsed.yaml, data=parsed.as_json()
    )
