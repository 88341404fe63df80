"""One design's way from text to host plans: every step computed once, on first use, by one call.

`compile(source)` takes a design as YAML text (or as the JSON form of the schema, kept as its
canonical YAML) and answers a `Compiled`, whose steps are its attributes:

    loaded       the design and the line of every path (yamlio.load_design; DesignError if it does not load)
    issues       every error and warning (validate; address exhaustion from `allocation`)
    allocation   every leg's addresses and MAC (ipam.allocate)
    namespaces   what each host, container and router holds (namespaces.namespaces)
    matrix       the predicted reachability (predict.predict, or the caller's `predictor`)
    plans(id)    every host's plan for deployment `id`, its probes carrying `matrix`
    fabric(id)   the wires a sandbox emulates

Every caller (the site's editor, deploy, results, exports and class board, the `lab` commands)
runs its design through one, so no use of a design loads, allocates or predicts it twice. The site
passes its predictor, `designer.analysis.predicted` (kept in Redis), so that the editor, a deploy
and its results share one prediction across requests and workers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from contract.plan import HostPlan, SandboxFabric
from designer.topology.compile import compile_fabric, host_plans
from designer.topology.ipam import Allocation, allocate
from designer.topology.issues import Issue
from designer.topology.matrix import Matrix
from designer.topology.model import Design
from designer.topology.namespaces import NamespaceSpec, namespaces
from designer.topology.predict import predict
from designer.topology.validate import validate
from designer.topology.yamlio import LoadedDesign, dump_data, dump_design, load_design

Predictor = Callable[[Design, Allocation], Matrix]


@dataclass(frozen=True, eq=False)
class Compiled:
    """A design's pipeline; each attribute is one step, made when first asked for and then kept."""

    yaml: str
    predictor: Predictor = predict

    @cached_property
    def loaded(self) -> LoadedDesign:
        return load_design(self.yaml)

    @property
    def design(self) -> Design:
        return self.loaded.design

    @cached_property
    def issues(self) -> list[Issue]:
        return validate(self.design, self.loaded.lines, self.allocation)

    @cached_property
    def allocation(self) -> Allocation:
        return allocate(self.design, self.loaded.lines)

    @cached_property
    def namespaces(self) -> list[NamespaceSpec]:
        return namespaces(self.design, self.allocation)

    @cached_property
    def matrix(self) -> Matrix:
        return self.predictor(self.design, self.allocation)

    def plans(self, deployment: str) -> dict[str, HostPlan]:
        return host_plans(self.design, self.namespaces, self.matrix, deployment)

    def fabric(self, deployment: str) -> SandboxFabric:
        return compile_fabric(self.design, deployment)

    def as_json(self) -> dict:
        """The design in the JSON form of the schema (defaults left out)."""
        return self.design.model_dump(mode="json", by_alias=True, exclude_defaults=True)


def compile(source: str | Mapping[str, Any], predictor: Predictor = predict) -> Compiled:
    """The pipeline of a design given as YAML text, or as JSON data (which is loaded here, once, to
    be kept as its canonical YAML: DesignError when it does not load)."""
    if not isinstance(source, str):
        source = dump_design(load_design(dump_data(source)).design)
    return Compiled(source, predictor)
