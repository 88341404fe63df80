"""The classroom's answers are described in the served OpenAPI document: each endpoint's success
answer names a typed body (what the browser's generated types are made from), its errors the
site's ErrorOut."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db
REF = "#/components/schemas/"


def _typed(schema: dict, components: dict) -> bool:
    """A body with named fields (a component with properties), a list of them, or text."""
    if schema.get("type") == "array":
        return _typed(schema["items"], components)
    if "$ref" in schema:
        return bool(components[schema["$ref"].rpartition("/")[2]].get("properties"))
    return schema.get("type") == "string"


def test_every_classroom_answer_has_a_typed_schema():
    doc = Client().get("/api/openapi.json").json()
    components = doc["components"]["schemas"]
    operations = {
        f"{method.upper()} {path}": op
        for path, methods in doc["paths"].items()
        for method, op in methods.items()
        if "classroom" in op.get("tags", [])
    }
    assert len(operations) == 10, sorted(operations)
    for name, op in operations.items():
        success = min(code for code in map(int, op["responses"]) if code < 300)
        [body] = op["responses"][str(success)]["content"].values()
        assert _typed(body["schema"], components), (name, success, body)
        errors = {code: r["content"] for code, r in op["responses"].items() if int(code) >= 400}
        for code, content in errors.items():
            assert content["application/json"]["schema"] == {"$ref": f"{REF}ErrorOut"}, (name, code)
    assert operations["GET /api/classes/{class_id}/results.csv"]["responses"]["200"]["content"].keys() == {
        "text/csv"
    }
    assert set(components["ClassOut"]["required"]) >= {"id", "name", "quotas", "exercises"}
    assert "code" not in components["ClassOut"]["required"]  # the join code: the instructor's only
