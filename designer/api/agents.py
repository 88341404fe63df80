"""Agents: who is alive (heartbeat present) and what their machines can do; each user sees
only the agents they may deploy to (`designer.grants`)."""

from dataclasses import asdict

from django.http import HttpRequest
from ninja import Router

from designer import agents, grants
from designer.api.schemas import AgentOut

router = Router(tags=["agents"])


@router.get("/agents", response=list[AgentOut])
def list_agents(request: HttpRequest):
    return [asdict(status) for status in grants.usable(request.auth, agents.refresh())]
