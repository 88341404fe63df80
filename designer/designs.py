"""Saving designs: parse what a user sent, keep every save as a new version, never lose one.

A design arrives as YAML text or as the JSON form of the schema. YAML is stored exactly
as received; JSON is stored as the canonical YAML `dump_design` writes. Input that does
not parse raises `DesignError` before anything is written; input that parses is saved
even with validation issues (a design is often saved half-drawn), and the issues are
answered with it. Deploying refuses designs with errors.
"""

from __future__ import annotations

from django.db import transaction

from designer import analysis
from designer.models import Design, DesignVersion
from designer.topology import pipeline

Parsed = pipeline.Compiled  # a design as the site runs it: predicted through analysis.predicted


def parse(*, yaml_text: str | None = None, design: dict | None = None) -> Parsed:
    """The site's pipeline of a design given as YAML text or as JSON data, loaded (DesignError when it
    does not load; its issues, allocation, matrix and plans are made when first asked for)."""
    parsed = pipeline.compile(yaml_text if yaml_text is not None else design, analysis.predicted)
    parsed.loaded  # noqa: B018 (nothing is written of a design that does not load)
    return parsed


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
