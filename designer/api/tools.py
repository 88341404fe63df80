"""Checking a design without storing it: validate (issues and addresses) and predict (the matrix);
a design too large to predict quickly is refused by both (designer.design_size, 422)."""

from django.http import HttpRequest
from ninja import Router

from designer import analysis
from designer.api.common import parsed_body
from designer.api.schemas import DesignIn, ErrorOut, ValidateOut

router = Router(tags=["tools"])


@router.post("/validate", response={200: ValidateOut, 400: ErrorOut, 422: ErrorOut})
def validate_design(request: HttpRequest, body: DesignIn):
    return analysis.validation(parsed_body(body))


@router.post("/predict", response={200: dict, 400: ErrorOut, 422: ErrorOut})
def predict_design(request: HttpRequest, body: DesignIn):
    return analysis.prediction(parsed_body(body))
