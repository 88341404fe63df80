"""The size of a design as prediction sees it, and the refusal of one too large to predict quickly.

Prediction pings every address of every endpoint from every other endpoint (designer.topology
.predict), so its cost grows with the pairs, (endpoints - 1) x addresses, at about 15 us a pair
on a lab machine (bench/topology.py: 0.14 s at 100 containers, 4 s at 500). A design of more
pairs than MVLAB_MAX_PREDICTED_PAIRS (about a second's worth) is refused with 422 at every door
that would predict it or store it for later: validate, predict, create, import, save, deploy.
Counting costs a linear pass (the pipeline's allocation and namespaces, which its plans use too). The refusal
carries the size as an issue too, so the editor lists it with the design's issues and holds
its deploy until the design is smaller.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from designer.errors import Refused
from designer.topology.issues import Issue
from designer.topology.pipeline import Compiled

STATUS = 422
REMEDY = "remove containers or addresses, or split the design"


@dataclass(frozen=True)
class Size:
    endpoints: int  # namespaces that hold an address (containers, routers, hosts)
    addresses: int  # their addresses, IPv4 and IPv6

    @property
    def pairs(self) -> int:
        return max(self.endpoints - 1, 0) * self.addresses


def measure(compiled: Compiled) -> Size:
    held = [spec.addresses for spec in compiled.namespaces if spec.addresses]
    return Size(endpoints=len(held), addresses=sum(len(a) for a in held))


def refuse_too_large(compiled: Compiled) -> None:
    size, limit = measure(compiled), settings.MVLAB_MAX_PREDICTED_PAIRS
    if size.pairs > limit:
        issue = Issue(
            "error",
            "",
            f"too large to predict: {size.pairs:,} pairs, more than MVLAB_MAX_PREDICTED_PAIRS ({limit:,})",
            hint=REMEDY,
            code="too-large-to-predict",
        )
        raise Refused(
            STATUS,
            f"the design is too large to predict in about a second: {size.endpoints} endpoints holding "
            f"{size.addresses} addresses make {size.pairs:,} pairs to predict, the limit "
            f"MVLAB_MAX_PREDICTED_PAIRS is {limit:,}; {REMEDY}",
            [issue],
        )
