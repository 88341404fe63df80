"""Who may deploy to which agent, and so see it (and its facts) in GET /api/agents.

- A lab agent (one that runs sandboxes) needs no grant: a sandbox never touches a real machine.
- A real-host agent is for superusers and for the users and groups an administrator granted it
  to (/admin/, or `manage.py lab grant AGENT --user U | --group G`).
- A class student deploys into a lab sandbox only, whatever the design and whatever grants they
  hold: an administrator removes the student role before granting a real agent.
- No grant is needed to tear a deployment down: its owner may always remove what it made.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q

from classroom import roles
from designer import agents
from designer.errors import Refused
from designer.models import Agent


def _granted(user: AbstractBaseUser) -> set[str]:
    """The agents granted to `user`, by name or through one of their groups."""
    found = Agent.objects.filter(Q(users=user) | Q(groups__in=user.groups.all()))
    return set(found.values_list("name", flat=True))


def usable(user: AbstractBaseUser, statuses: list[agents.AgentStatus]) -> list[agents.AgentStatus]:
    """The agents of `statuses` that `user` may deploy to."""
    student = roles.has_role(user, roles.STUDENT)
    if user.is_superuser and not student:
        return statuses
    granted = set() if student else _granted(user)
    return [s for s in statuses if s.sandbox or s.name in granted]


def _named(names: set[str]) -> str:
    return ", ".join(repr(name) for name in sorted(names))


def refuse_ungranted(user: AbstractBaseUser, names: set[str]) -> None:
    """Refuses (403) a deploy of `user` onto the agents `names` unless they may use every one."""
    if roles.has_role(user, roles.STUDENT):
        raise Refused(
            403,
            "class students deploy into a lab sandbox only (sandbox: true), "
            f"not to agent(s) {_named(names)}; "
            "an administrator can remove your student role",
        )
    if user.is_superuser:
        return
    refused = names - {s.name for s in usable(user, agents.refresh())}
    if refused:
        raise Refused(
            403,
            f"agent(s) {_named(refused)} not granted to you; ask an administrator "
            f"to grant them (manage.py lab grant AGENT --user {user.get_username()})",
        )
