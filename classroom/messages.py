"""The messages of the class websocket `/ws/classes/<id>/` (classroom.consumers), as pydantic models.

The site's OpenAPI document names `ClassMessage` as a component (designer.api.openapi.WIRE_MODELS),
so the class page's TypeScript type (frontend/src/api/schema.d.ts) is generated from it; the class
websocket's tests check that what the consumer sends is exactly this shape.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from classroom.api.schemas import BoardRow, GoalProgress


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BoardMessage(_Message):
    """The whole board, first on every connection: the instructor's every attempt, a student's own."""

    kind: Literal["board"]
    role: Literal["instructor", "student"]
    rows: list[BoardRow]


class AttemptMessage(_Message):
    """A student joined, or got a new exercise: a row added or replaced."""

    kind: Literal["attempt"]
    row: BoardRow


class DeployMessage(_Message):
    """An attempt's deployment changed state (the site's state entry in its event stream)."""

    kind: Literal["deploy"]
    attempt: int
    deployment: str
    state: str
    detail: str


class GoalsMessage(_Message):
    """An attempt's goal progress, checked again as probe results arrive."""

    kind: Literal["goals"]
    attempt: int
    deployment: str
    goals: GoalProgress


class ClassMessage(RootModel):
    """One message of the class websocket."""

    root: Annotated[BoardMessage | AttemptMessage | DeployMessage | GoalsMessage, Field(discriminator="kind")]
