"""axe-core, injected into a page under test, and its serious or critical findings.

The script comes from frontend/node_modules (axe-core is pinned in frontend/package.json).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Frame, Page

AXE = Path(__file__).resolve().parents[2] / "frontend" / "node_modules" / "axe-core" / "axe.min.js"


def violations(page: Page | Frame, impacts: tuple[str, ...] = ("serious", "critical")) -> list[str]:
    """One line per serious/critical axe violation on the page (WCAG 2 A/AA rules): rule, impact, where."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `cd frontend && npm ci` installs axe-core")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async () => (await axe.run(document, {runOnly: {type: 'tag',
             values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})).violations
           .map(v => ({id: v.id, impact: v.impact, help: v.help,
                       nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"""
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {', '.join(v['nodes'])}"
        for v in found
        if v["impact"] in impacts
    ]
