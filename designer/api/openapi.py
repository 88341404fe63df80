"""The OpenAPI document of the site (/api/openapi.json), which the browser's TypeScript types are
generated from (frontend/src/api/schema.d.ts: `cd frontend && npm run types`; a test fails when
that file is stale).

Ninja names the request and response bodies of the endpoints. The browser also reads shapes no
endpoint body names: a design's JSON (`DesignOut.design`, a free-form object on the wire), a
reachability matrix (`POST /api/predict`, `DeploymentOut.matrix`), an agent's facts and the
messages of a deployment's websocket and of a class's (classroom.messages). They are added here
as named components, generated from the same pydantic models the site and the agents use, so
they cannot drift either; and the websocket close codes the browser must not retry after
(`RefusalCloseCode`, from contract.closes).
"""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any, Literal

from ninja import NinjaAPI
from ninja.operation import Operation
from pydantic import BaseModel, Field
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode, models_json_schema

from classroom.messages import ClassMessage
from contract import closes
from contract.events import STATE_KIND, FinishedEvent, ProbeEvent, StepEvent
from contract.plan import HostFacts, Strict
from designer.topology.matrix import Matrix
from designer.topology.model import Design


class StateEntry(Strict):
    """The site's entry in a deployment's stream when its state changes (`contract.events.state_entry`)."""

    kind: Literal["deployment"] = STATE_KIND
    deployment: str
    state: str
    detail: str = ""


class DeploymentMessage(BaseModel):
    """One message of the websocket /ws/deployments/<id>/ (`designer.consumers`): a stream entry's
    id (the cursor to resume `?after=`) and its event."""

    id: str
    event: Annotated[StepEvent | ProbeEvent | FinishedEvent | StateEntry, Field(discriminator="kind")]


class _SentShape(GenerateJsonSchema):
    """In serialization mode a field with a default is still sent, so it is required there (pydantic
    marks it optional unless the model opts in; these models belong to the contract and the topology)."""

    def field_is_required(self, field: Any, total: bool) -> bool:
        if self.mode == "serialization" and field["type"] != "typed-dict-field":
            return not field.get("serialization_exclude")
        return super().field_is_required(field, total)


# A design as the browser edits and sends it (defaults may be left out, as the site leaves them out
# of `DesignOut.design`); the rest as the site and the agents send them, every field present.
WIRE_MODELS: tuple[tuple[type[BaseModel], JsonSchemaMode], ...] = (
    (Design, "validation"),
    (Matrix, "serialization"),
    (HostFacts, "serialization"),
    (DeploymentMessage, "serialization"),
    (ClassMessage, "serialization"),
)


# The closes that retrying cannot cure (a bad request, a user who may not follow): the browser stops;
# after any other close (4500, 4503, a dropped connection) it reconnects with its cursor.
REFUSAL_CLOSE_CODES = (closes.BAD_REQUEST, closes.FORBIDDEN)


def wire_components() -> dict[str, dict]:
    """The JSON schemas of WIRE_MODELS and of every model they contain, by name, and the refusal
    close codes (a websocket close carries no body a model could describe)."""
    _, top = models_json_schema(
        WIRE_MODELS, ref_template="#/components/schemas/{model}", schema_generator=_SentShape
    )
    refusals = {
        "type": "integer",
        "enum": list(REFUSAL_CLOSE_CODES),
        "title": "RefusalCloseCode",
        "description": "A websocket close the browser does not reconnect after (contract.closes): "
        "4400 a bad request, 4403 not allowed to follow; it reconnects after any other close.",
    }
    return {**top["$defs"], "RefusalCloseCode": refusals}


class DocumentedAPI(NinjaAPI):
    """A NinjaAPI whose OpenAPI document also names the wire components (`wire_components`), and
    names each operation by its view function alone: moving a view to another module is no change
    of the API (ninja would prefix the module's dotted path)."""

    def get_openapi_operation_id(self, operation: Operation) -> str:
        return operation.view_func.__name__

    def get_openapi_schema(self, **kwargs: Any) -> dict:
        schema = super().get_openapi_schema(**kwargs)
        ids = Counter(op["operationId"] for path in schema["paths"].values() for op in path.values())
        if twice := sorted(name for name, count in ids.items() if count > 1):
            raise ValueError(f"OpenAPI: two views share the name of each of {twice}; rename one of each")
        named = schema.setdefault("components", {}).setdefault("schemas", {})
        for name, component in wire_components().items():
            if name in named and named[name] != component:
                raise ValueError(
                    f"OpenAPI component {name!r}: an endpoint's schema and a wire model "
                    "(designer.api.openapi.WIRE_MODELS) differ under the same name; rename one"
                )
            named[name] = component
        return schema
