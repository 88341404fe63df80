"""What the site stores: designs and their versions, deployments, agents and probe results."""

from __future__ import annotations

import secrets
import string

from django.conf import settings
from django.db import models

DEPLOYMENT_ID_ALPHABET = string.ascii_lowercase + string.digits
DEPLOYMENT_ID_LENGTH = 8


def new_deployment_id() -> str:
    """A short id that is also a valid plan `deployment` (`^[a-z0-9]{1,12}$`)."""
    return "".join(secrets.choice(DEPLOYMENT_ID_ALPHABET) for _ in range(DEPLOYMENT_ID_LENGTH))


class Design(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="designs")
    name = models.CharField(max_length=64)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated"]

    def __str__(self) -> str:
        return f"{self.name} ({self.owner})"

    def latest(self) -> DesignVersion:
        return self.versions.order_by("-number").first()


class DesignVersion(models.Model):
    """One save of a design: the YAML exactly as received and the parsed design as JSON."""

    design = models.ForeignKey(Design, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    yaml = models.TextField()
    data = models.JSONField()
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["design", "number"]
        constraints = [models.UniqueConstraint(fields=["design", "number"], name="one_number_per_version")]

    def __str__(self) -> str:
        return f"{self.design.name} v{self.number}"


class Deployment(models.Model):
    class State(models.TextChoices):
        PENDING = "pending"
        DEPLOYING = "deploying"
        PROBING = "probing"
        DONE = "done"
        FAILED = "failed"
        TEARING_DOWN = "tearing_down"
        TORN_DOWN = "torn_down"

    ACTIVE_STATES = (State.PENDING, State.DEPLOYING, State.PROBING, State.TEARING_DOWN)
    # Something may be deployed: tear it down first. A failed deployment may hold a partial apply, or
    # what an agent's task built after the site stopped waiting for it.
    HOLDING_STATES = (*ACTIVE_STATES, State.DONE, State.FAILED)

    id = models.CharField(primary_key=True, max_length=12, default=new_deployment_id, editable=False)
    design = models.ForeignKey(Design, on_delete=models.CASCADE, related_name="deployments")
    version = models.ForeignKey(DesignVersion, on_delete=models.CASCADE, related_name="deployments")
    sandbox = models.BooleanField(default=False)
    agents = models.JSONField(default=dict, blank=True, help_text="host -> agent name (empty for a sandbox)")
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    detail = models.TextField(blank=True, default="")
    hosts = models.JSONField(default=dict, blank=True, help_text="host -> {state, applied, failed, detail}")
    matrix = models.JSONField(null=True, blank=True, help_text="expected and observed reachability")
    created = models.DateTimeField(auto_now_add=True)
    changed = models.DateTimeField(auto_now=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.id} ({self.design.name} v{self.version.number}, {self.state})"

    @property
    def active(self) -> bool:
        return self.state in self.ACTIVE_STATES


class Agent(models.Model):
    """The last heartbeat seen from an agent, mirrored from Redis, and who may deploy to it.

    A real-host agent is used only by the users and groups an administrator granted it to
    (and superusers); a lab agent needs no grant (`designer.grants`)."""

    name = models.CharField(primary_key=True, max_length=64)
    last_seen = models.DateTimeField(null=True, blank=True)
    facts = models.JSONField(default=dict, blank=True)
    sandbox = models.BooleanField(default=False)
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="granted_agents", help_text="may deploy to it"
    )
    groups = models.ManyToManyField(
        "auth.Group", blank=True, related_name="granted_agents", help_text="whose members may deploy to it"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ProbeResult(models.Model):
    """One probe an agent ran for a deployment, as its probe event reported it."""

    deployment = models.ForeignKey(Deployment, on_delete=models.CASCADE, related_name="probes")
    host = models.CharField(max_length=64)
    src = models.CharField(max_length=64)
    dst = models.CharField(max_length=64)
    dst_ip = models.GenericIPAddressField()
    expected = models.BooleanField()
    observed = models.BooleanField()
    rtt_ms = models.FloatField(null=True, blank=True)
    ttl = models.IntegerField(null=True, blank=True)

    class Meta:
        ordering = ["deployment", "src", "dst", "dst_ip"]
        constraints = [
            models.UniqueConstraint(
                fields=["deployment", "src", "dst", "dst_ip"], name="one_result_per_probe"
            )
        ]

    def __str__(self) -> str:
        return f"{self.src} -> {self.dst} {self.dst_ip}: {'ok' if self.observed else 'no'}"
