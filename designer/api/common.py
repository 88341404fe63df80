"""Lookups every router shares: a user sees only their own designs and deployments; a design
from a request body, refused when too large to predict (designer.design_size)."""

from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from designer import design_size, designs
from designer.api.schemas import DesignIn
from designer.models import Deployment, Design


def sized(parsed: designs.Parsed) -> designs.Parsed:
    design_size.refuse_too_large(parsed)
    return parsed


def parsed_body(body: DesignIn) -> designs.Parsed:
    return sized(designs.parse(yaml_text=body.yaml, design=body.design))


def own_design(request: HttpRequest, design_id: int) -> Design:
    """The design if it belongs to the signed-in user; 404 otherwise (another user's looks absent)."""
    return get_object_or_404(Design, pk=design_id, owner=request.auth)


def own_deployment(request: HttpRequest, deployment_id: str) -> Deployment:
    return get_object_or_404(
        Deployment.objects.select_related("version"), pk=deployment_id, design__owner=request.auth
    )
