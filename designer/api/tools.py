"""Checking a design without storing it: validate (issues and addresses) and predict (the matrix)."""

from django.http import HttpRequest
from ninja import Router

from designer import analysis, designs
from designer.api.schemas import DesignIn, ErrorOut, ValidateOut

router = Router(tags=["tools"])


@router.post("/validate", response={200: ValidateOut, 400: ErrorOut})
def validate_design(request: HttpRequest, body: DesignIn):
    parsed = designs.parse(yaml_text=body.yaml, design=body.design)
    return analysis.validation(parsed)


@router.post("/predict", response={200: dict, 400: ErrorOut})
def predict_design(request: HttpRequest, body: DesignIn):
    parsed = designs.parse(yaml_text=body.yaml, design=body.design)
    return analysis.prediction(parsed)
