"""Step "masquerade": each namespace of the plan holds exactly its masquerade rules, as the nft table
`agent.masquerade` writes; a namespace known to hold no table and given no rules is not visited."""

from __future__ import annotations

from agent.apply.retry import ApplyError
from agent.apply.session import Session
from agent.masquerade import sync_masquerade as sync_table
from contract.plan import Masquerade


def sync_masquerade(s: Session) -> None:
    by_ns: dict[str, list[Masquerade]] = {}
    for rule in s.plan.masquerade:
        by_ns.setdefault(s.kernel_ns(rule.namespace), []).append(rule)
    for ns in s.plan.namespaces:
        kernel_name = s.kernel_ns(ns.name)
        rules = by_ns.get(kernel_name, [])
        space = s.spaces[kernel_name]
        if not rules and (space.fresh or space.has_table is False):
            continue
        try:
            outcome = sync_table(kernel_name, s.plan.deployment, rules)
        except (OSError, RuntimeError) as exc:
            raise ApplyError(f"host {s.plan.host}: masquerade in {kernel_name}: {exc}") from exc
        if outcome:
            s.report.note(outcome, f"masquerade table in {kernel_name}")
