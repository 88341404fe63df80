"""What the editor asks of a design it has not stored: its issues, addresses and matrix.

A prediction is computed once per design: `predicted`, the predictor of every design the site
runs through its pipeline (`designs.parse`, designer.topology.pipeline), keeps it in Redis
(compressed, keyed by the design's content and the prediction code's version, PREDICTED_TTL
seconds), so the editor's prediction, the plans of the deploy that follows it and the matrix
stored with that deployment's results share one computation, and a site running changed
prediction code never serves a matrix the old code made.
"""

from __future__ import annotations

import hashlib
import logging
import zlib
from pathlib import Path

import redis
from django.conf import settings
from pydantic import ValidationError

from designer import topology
from designer.errors import Refused
from designer.topology import pipeline
from designer.topology.ipam import Allocation
from designer.topology.issues import errors_in
from designer.topology.matrix import Matrix
from designer.topology.model import Design
from designer.topology.predict import predict

PREDICTED_PREFIX = "mvlab:predicted:"
PREDICTED_TTL = 3600


def code_version(package: Path) -> str:
    """A hash of every Python source under `package` (its path and content): what predicts."""
    digest = hashlib.sha256()
    for source in sorted(package.rglob("*.py")):
        digest.update(source.relative_to(package).as_posix().encode() + b"\0")
        digest.update(source.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


PREDICTION_CODE = code_version(Path(topology.__file__).parent)  # once, at import

log = logging.getLogger("mvlab.analysis")


def allocation_json(allocation: Allocation) -> dict[str, dict[str, dict]]:
    """endpoint -> network -> {ip (with prefix length), mac, ipv6}."""
    found: dict[str, dict[str, dict]] = {}
    for (endpoint, network), leg in sorted(allocation.legs.items()):
        found.setdefault(endpoint, {})[network] = {"ip": leg.ip, "mac": leg.mac, "ipv6": leg.ipv6}
    return found


def validation(compiled: pipeline.Compiled) -> dict:
    """The design's issues (address exhaustion included) and the addresses IPAM hands out."""
    return {
        "ok": not errors_in(compiled.issues),
        "issues": [issue.to_dict() for issue in compiled.issues],
        "allocation": allocation_json(compiled.allocation),
    }


def prediction(compiled: pipeline.Compiled) -> dict:
    """The predicted matrix; a design with errors is refused with its issues."""
    errors = errors_in(compiled.issues)
    if errors:
        raise Refused(400, "the design has errors; fix them before predicting", errors)
    return compiled.matrix.model_dump(mode="json")


def prediction_key(design: Design) -> str:
    """Where `design`'s prediction is kept: its content and the version of the code that predicts."""
    content = hashlib.sha256(design.model_dump_json().encode()).hexdigest()
    return f"{PREDICTED_PREFIX}{PREDICTION_CODE}:{content}"


def predicted(design: Design, allocation: Allocation) -> Matrix:
    """The design's predicted matrix (`predict`, the site's predictor of designer.topology.pipeline), as
    kept from an earlier call for the same design, or computed (and kept); computed without keeping
    when Redis does not answer."""
    key = prediction_key(design)
    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        kept = client.get(key)
        if kept is not None:
            return Matrix.model_validate_json(zlib.decompress(kept))
    except (redis.RedisError, zlib.error, ValidationError) as exc:
        log.warning("the kept prediction %s is unusable (%s); predicting again", key, exc)
    matrix = predict(design, allocation)
    try:
        client.set(key, zlib.compress(matrix.model_dump_json().encode(), 1), ex=PREDICTED_TTL)
    except redis.RedisError as exc:
        log.warning("could not keep the prediction %s: %s", key, exc)
    return matrix
