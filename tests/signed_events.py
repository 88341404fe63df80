"""Agent events as a real agent writes them into a deployment's stream: signed with its key
(contract.trust). The site's credential of the agent is made on first use, without a Redis user (the
site tests run on the machine's shared Redis, whose ACLs no test may change)."""

from __future__ import annotations

import json

from contract.trust import sign_event
from designer import agent_credentials


def signed(event: dict, agent: str = "lab") -> str:
    """The JSON of `event` signed by agent `agent`, for the stream field `event`."""
    if not agent_credentials.has_credential(agent):
        agent_credentials.add(agent, with_redis_user=False)
    return json.dumps(sign_event(agent_credentials.key_of(agent), agent, event))
