"""Designs: create, import, read, save a new version, list versions, export, delete, deploy.

Creating, saving and deploying are within the user's quotas (designer.quotas, 409) and refused
for a design too large to predict (designer.design_size, 422)."""

from typing import Literal

from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import File, Router, Status
from ninja.files import UploadedFile

from designer import deploy, design_size, designs, exports, quotas
from designer.api.common import own_design, parsed_body, sized
from designer.api.schemas import (
    DeployIn,
    DeployStarted,
    DesignIn,
    DesignOut,
    DesignSummary,
    ErrorOut,
    RenameIn,
    VersionOut,
)
from designer.comment_keeping import with_comments
from designer.design_rename import renamed
from designer.models import Deployment, Design, DesignVersion
from designer.topology.compose_import import design_from_compose, looks_like_compose

router = Router(tags=["designs"])
MAX_IMPORT_BYTES = 1_000_000


def _created(owner, parsed: designs.Parsed) -> DesignVersion:
    with quotas.storing(owner, new_design=True):
        return designs.create(owner, parsed)


def _out(version: DesignVersion, parsed: designs.Parsed) -> dict:
    return {
        "id": version.design_id,
        "name": version.design.name,
        "version": version.number,
        "design": version.data,
        "yaml": version.yaml,
        "issues": [issue.to_dict() for issue in parsed.issues],
    }


def _version(design: Design, number: int | None) -> DesignVersion:
    if number is None:
        return design.latest()
    return get_object_or_404(DesignVersion, design=design, number=number)


@router.get("/designs", response=list[DesignSummary])
def list_designs(request: HttpRequest):
    found = Design.objects.filter(owner=request.auth).annotate(version=Max("versions__number"))
    return [{"id": d.id, "name": d.name, "version": d.version, "updated": d.updated} for d in found]


@router.post("/designs", response={201: DesignOut, 400: ErrorOut, 409: ErrorOut, 422: ErrorOut})
def create_design(request: HttpRequest, body: DesignIn):
    parsed = parsed_body(body)
    return Status(201, _out(_created(request.auth, parsed), parsed))


@router.post("/designs/import", response={201: DesignOut, 400: ErrorOut, 409: ErrorOut, 422: ErrorOut})
def import_design(request: HttpRequest, file: File[UploadedFile], host: str = "host1"):
    """A design file, or a Docker Compose file (its macvlan networks and services on `host`)."""
    if file.size > MAX_IMPORT_BYTES:
        return Status(400, {"detail": f"the file is larger than {MAX_IMPORT_BYTES} bytes", "errors": []})
    try:
        text = file.read().decode("utf-8")
    except UnicodeDecodeError:
        return Status(400, {"detail": "the file is not UTF-8 text (a YAML design file is)", "errors": []})
    if looks_like_compose(text):
        stem = (file.name or "").rpartition("/")[2].split(".")[0] or None
        text = design_from_compose(text, host=host, fallback_name=stem)
    parsed = sized(designs.parse(yaml_text=text))
    return Status(201, _out(_created(request.auth, parsed), parsed))


@router.get("/designs/{design_id}", response=DesignOut)
def read_design(request: HttpRequest, design_id: int, version: int | None = None):
    stored = _version(own_design(request, design_id), version)
    return _out(stored, designs.parse_version(stored))


@router.put("/designs/{design_id}", response={200: DesignOut, 400: ErrorOut, 409: ErrorOut, 422: ErrorOut})
def save_design(request: HttpRequest, design_id: int, body: DesignIn):
    design = own_design(request, design_id)
    parsed = parsed_body(body)
    if body.design is not None and (kept := with_comments(design.latest().yaml, parsed.design)):
        parsed = designs.parse(yaml_text=kept)  # the same design, the user's comments kept
    with quotas.storing(request.auth, new_design=False):
        return _out(designs.save_version(design, parsed), parsed)


@router.post(
    "/designs/{design_id}/rename", response={200: DesignOut, 400: ErrorOut, 409: ErrorOut, 422: ErrorOut}
)
def rename_design(request: HttpRequest, design_id: int, body: RenameIn):
    """A new version whose YAML differs from the latest only in its `name:` line."""
    design = own_design(request, design_id)
    parsed = sized(designs.parse(yaml_text=renamed(design.latest().yaml, body.name)))
    with quotas.storing(request.auth, new_design=False):
        return _out(designs.save_version(design, parsed), parsed)


@router.delete("/designs/{design_id}", response={204: None, 409: ErrorOut})
def delete_design(request: HttpRequest, design_id: int):
    design = own_design(request, design_id)
    with transaction.atomic():
        holding = list(design.deployments.filter(state__in=Deployment.HOLDING_STATES))
        if holding:
            names = ", ".join(f"{d.id} ({d.state})" for d in holding)
            return Status(
                409, {"detail": f"deployment(s) {names} may still hold hosts; tear them down first"}
            )
        design.delete()
    return Status(204, None)


@router.get("/designs/{design_id}/versions", response=list[VersionOut])
def list_versions(request: HttpRequest, design_id: int):
    design = own_design(request, design_id)
    return [{"version": v.number, "created": v.created} for v in design.versions.order_by("number")]


@router.get("/designs/{design_id}/export", response={200: str, 400: ErrorOut})
def export_design(
    request: HttpRequest,
    design_id: int,
    to: Literal["yaml", "sh", "docker", "compose"] = "yaml",
    version: int | None = None,
    host: str | None = None,
):
    stored = _version(own_design(request, design_id), version)
    try:
        text = exports.render(stored, to, host)
    except exports.NoComposeFile as err:
        issue = {"severity": "error", "path": "host", "message": str(err)}
        return Status(400, {"detail": str(err), "errors": [issue]})
    return HttpResponse(text, content_type="text/plain; charset=utf-8")


@router.post(
    "/designs/{design_id}/deploy",
    response={201: DeployStarted, 400: ErrorOut, 403: ErrorOut, 409: ErrorOut, 422: ErrorOut},
)
def deploy_design(request: HttpRequest, design_id: int, body: DeployIn, version: int | None = None):
    stored = _version(own_design(request, design_id), version)
    design_size.refuse_too_large(designs.parse_version(stored))
    with quotas.deploying(request.auth, design_id, sandbox=body.sandbox):
        started = deploy.start(stored, sandbox=body.sandbox, mapping=body.agents)
    return Status(
        201, {"id": started.id, "state": started.state, "websocket": f"/ws/deployments/{started.id}/"}
    )
