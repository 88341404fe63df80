"""What a class enforces, whichever way a save or a deploy arrives (editor, API, command line).

- A student's save may not change what the exercise locked (checked before the version is written).
- A student's deploy of an exercise goes into a sandbox only, and within the class's quotas:
  sandboxes held at once, hosts and containers (routers count as containers) across them.
  A redeploy of the same attempt does not count its predecessor, which is torn down for it.
- There is no site-wide count of class sandboxes: like every sandbox, each goes to the lab agent
  with the most room and is refused only when no lab agent has room (`designer.placement`).
Both raise `Refused`, which the API answers as 400/403/409 with the reason.
"""

from __future__ import annotations

from django.db.models.signals import pre_save
from django.dispatch import receiver

from classroom.copies import MISSING, value_at
from classroom.models import Attempt
from designer.errors import Refused
from designer.models import Deployment, DesignVersion
from designer.topology.issues import Issue


def attempt_of(design_id: int) -> Attempt | None:
    return (
        Attempt.objects.select_related("exercise__classroom", "student").filter(design_id=design_id).first()
    )


@receiver(pre_save, sender=DesignVersion)
def keep_locked_elements(sender, instance: DesignVersion, **kwargs) -> None:
    if not instance._state.adding:
        return
    attempt = attempt_of(instance.design_id)
    if attempt is None:
        return
    start = attempt.exercise.start_data
    changed = [p for p in attempt.exercise.locked if value_at(instance.data, p) != value_at(start, p)]
    if not changed:
        return
    issues = [
        Issue(
            "error",
            path,
            "the exercise locks this; it must stay as it was handed out"
            if value_at(instance.data, path) is not MISSING
            else "the exercise locks this; it may not be removed",
            hint="undo your change here (the starting design shows how it was)",
        )
        for path in changed
    ]
    raise Refused(400, f"not saved: you changed {', '.join(changed)}, which the exercise locks", issues)


def namespaces_of(data: dict) -> int:
    return len(data.get("containers") or {}) + len(data.get("routers") or {})


@receiver(pre_save, sender=Deployment)
def within_quota(sender, instance: Deployment, **kwargs) -> None:
    if not instance._state.adding:
        return
    attempt = attempt_of(instance.design_id)
    if attempt is None:
        return
    room = attempt.exercise.classroom
    if not instance.sandbox:
        raise Refused(403, f"class {room.name!r}: exercises deploy into a lab sandbox only (sandbox: true)")
    held = list(
        Deployment.objects.select_related("version")
        .filter(design__owner=attempt.student, state__in=Deployment.HOLDING_STATES)
        .exclude(design_id=instance.design_id)
    )
    if len(held) >= room.max_deploys:
        ids = ", ".join(d.id for d in held)
        raise Refused(
            409,
            f"quota reached: in class {room.name!r} you may hold {room.max_deploys} sandbox(es) at once "
            f"and deployment(s) {ids} still hold one; tear one down first",
        )
    hosts = len(instance.hosts) + sum(len(d.hosts) for d in held)
    if hosts > room.max_hosts:
        raise Refused(
            409,
            f"quota reached: in class {room.name!r} your sandboxes may have {room.max_hosts} hosts "
            f"in all; this deploy would make {hosts}",
        )
    spaces = namespaces_of(instance.version.data) + sum(namespaces_of(d.version.data) for d in held)
    if spaces > room.max_containers:
        raise Refused(
            409,
            f"quota reached: in class {room.name!r} your sandboxes may have {room.max_containers} "
            f"containers and routers in all; this deploy would make {spaces}",
        )
