"""Per-user quotas: designs, saved versions, live deployments and lab sandboxes (settings MVLAB_MAX_*).

A request that would go over one is refused with 409 whose detail gives the count and the limit
by name ("you have 50 designs, the limit MVLAB_MAX_DESIGNS_PER_USER is 50"). Everything a user
owns counts, class attempts too (a student's sandbox sits on the same lab machine), but a class's
hand-out is never refused, and a class's own limits (classroom.guards) apply on top.
A live deployment is one that may still hold hosts (Deployment.HOLDING_STATES); a redeploy of a
class attempt does not count the one it replaces, as the class's quota does not.

The count and the write that follows are kept together per user, so two requests at once cannot
both take the last place: designs and versions under a lock on the user's row in the
transaction that writes them, deployments under a per-user Redis lock around deploy.start
(which records the deployment before it returns).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from redis.exceptions import LockNotOwnedError

from classroom.guards import attempt_of
from designer.errors import Refused
from designer.models import Deployment, DesignVersion
from designer.redis_client import sync_client

LOCK_SECONDS = 60  # longer than deploy.start waits for the deploy lock (30 s)
WAIT_SECONDS = 30  # for the user's other deploy to be recorded


def _refuse_at(
    count: int, what: tuple[str, str], setting: str, remedy: str, held: list[Deployment] = ()
) -> None:
    """409 when `count` (of `what`: singular, plural) has reached the setting's limit."""
    limit = getattr(settings, setting)
    if count >= limit:
        ids = f" ({', '.join(d.id for d in held)})" if held else ""
        noun = what[0] if count == 1 else what[1]
        raise Refused(409, f"you have {count} {noun}{ids}, the limit {setting} is {limit}; {remedy}")


@contextmanager
def storing(user, *, new_design: bool) -> Iterator[None]:
    """Refuses a save over the user's quota of versions (and of designs when `new_design`), then
    holds the user's row locked while the caller writes it, in one transaction."""
    with transaction.atomic():
        list(get_user_model().objects.select_for_update().filter(pk=user.pk))
        if new_design:
            _refuse_at(
                user.designs.count(),
                ("design", "designs"),
                "MVLAB_MAX_DESIGNS_PER_USER",
                "delete one you no longer need",
            )
        _refuse_at(
            DesignVersion.objects.filter(design__owner=user).count(),
            ("saved version", "saved versions"),
            "MVLAB_MAX_VERSIONS_PER_USER",
            "delete a design you no longer need (its versions go with it)",
        )
        yield


def live(user, replacing_design: int | None = None) -> list[Deployment]:
    """The user's deployments that may still hold hosts, but for those of `replacing_design`."""
    found = Deployment.objects.filter(design__owner=user, state__in=Deployment.HOLDING_STATES)
    if replacing_design is not None:
        found = found.exclude(design_id=replacing_design)
    return list(found.order_by("created"))


@contextmanager
def deploying(user, design_id: int, *, sandbox: bool) -> Iterator[None]:
    """Refuses a deploy over the user's quota of live deployments (and of sandboxes for a sandbox),
    then holds the user's deploy lock while the caller records the deployment (deploy.start)."""
    lock = sync_client().lock(f"mvlab:lock:quota:{user.pk}", timeout=LOCK_SECONDS)
    if not lock.acquire(blocking_timeout=WAIT_SECONDS):
        raise Refused(
            409, f"another deploy of yours is still being started after {WAIT_SECONDS} s; try again"
        )
    try:
        held = live(user, replacing_design=design_id if attempt_of(design_id) else None)
        remedy = "tear one down first"
        deployments = ("live deployment", "live deployments")
        _refuse_at(len(held), deployments, "MVLAB_MAX_DEPLOYMENTS_PER_USER", remedy, held)
        if sandbox:
            sandboxes = [d for d in held if d.sandbox]
            boxes = ("sandbox", "sandboxes")
            _refuse_at(len(sandboxes), boxes, "MVLAB_MAX_SANDBOXES_PER_USER", remedy, sandboxes)
        yield
    finally:
        with suppress(LockNotOwnedError):  # expired in a very slow start: nothing of ours to free
            lock.release()
