"""Deployments: list, read, tear down."""

from django.http import HttpRequest
from ninja import Router, Status

from designer import deploy
from designer.api.common import own_deployment
from designer.api.schemas import DeploymentOut, ErrorOut
from designer.models import Deployment

router = Router(tags=["deployments"])


def _out(d: Deployment) -> dict:
    return {
        "id": d.id,
        "design": d.design_id,
        "version": d.version.number,
        "sandbox": d.sandbox,
        "agents": d.agents,
        "state": d.state,
        "detail": d.detail,
        "hosts": d.hosts,
        "matrix": d.matrix,
        "started": d.started,
        "finished": d.finished,
        "websocket": f"/ws/deployments/{d.id}/",
    }


@router.get("/deployments", response=list[DeploymentOut])
def list_deployments(request: HttpRequest, design: int | None = None):
    found = Deployment.objects.filter(design__owner=request.auth).select_related("version")
    if design is not None:
        found = found.filter(design_id=design)
    return [_out(d) for d in found]


@router.get("/deployments/{deployment_id}", response=DeploymentOut)
def read_deployment(request: HttpRequest, deployment_id: str):
    return _out(own_deployment(request, deployment_id))


@router.post("/deployments/{deployment_id}/teardown", response={202: DeploymentOut, 409: ErrorOut})
def teardown(request: HttpRequest, deployment_id: str):
    return Status(202, _out(deploy.start_teardown(own_deployment(request, deployment_id))))
