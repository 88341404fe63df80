"""Request and response bodies of the HTTP API (docs/api.md)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Schema
from pydantic import ConfigDict, Field, model_validator

from contract.plan import Room


class IssueOut(Schema):
    """One issue; every field is always sent (`line` null when no line of the YAML is known)."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    severity: Literal["error", "warning"]
    path: str
    line: int | None = None
    message: str
    hint: str = ""


class ErrorOut(Schema):
    detail: str
    errors: list[IssueOut] = []


class SessionOut(Schema):
    user: str | None
    csrf_token: str
    roles: list[str] = []


class SignIn(Schema):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=1024)


class DesignIn(Schema):
    """A design as JSON (`design`) or as YAML text (`yaml`): exactly one of them."""

    design: dict[str, Any] | None = None
    yaml: str | None = Field(default=None, max_length=1_000_000)

    @model_validator(mode="after")
    def _exactly_one(self) -> DesignIn:
        if (self.design is None) == (self.yaml is None):
            raise ValueError("give exactly one of 'design' (JSON) or 'yaml' (text)")
        return self


class DesignSummary(Schema):
    id: int
    name: str
    version: int
    updated: dt.datetime


class DesignOut(Schema):
    id: int
    name: str
    version: int
    design: dict[str, Any]
    yaml: str
    issues: list[IssueOut]


class RenameIn(Schema):
    name: str = Field(max_length=200)


class VersionOut(Schema):
    version: int
    created: dt.datetime


class Address(Schema):
    ip: str | None = None
    mac: str | None = None
    ipv6: str | None = None


class ValidateOut(Schema):
    ok: bool
    issues: list[IssueOut]
    allocation: dict[str, dict[str, Address]]


class DeployIn(Schema):
    sandbox: bool = False
    agents: dict[str, str] | None = None


class DeployStarted(Schema):
    id: str
    state: str
    websocket: str


class DeploymentOut(Schema):
    id: str
    design: int
    version: int
    sandbox: bool
    agents: dict[str, str]
    state: str
    detail: str
    hosts: dict[str, Any]
    matrix: dict[str, Any] | None
    started: dt.datetime | None
    finished: dt.datetime | None
    websocket: str


class AgentOut(Schema):
    name: str
    alive: bool
    last_seen: dt.datetime | None
    facts: dict[str, Any]
    sandbox: bool
    room: Room | None = None
