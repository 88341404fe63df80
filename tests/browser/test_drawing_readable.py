"""The drawing stays readable (issue 12, points 7 and 13): labels do not sit on each other or on other
elements, lines do not run through elements, nothing is cut off at the edges after a load or a
reload, and what is added lands where the user can see it, not under the side panel. At 1024x768,
beside the side panel or without it, every label shown is at least 9 px high on screen; a design too
large for that (50 hosts) is shown from its start, and any element is a Tab or a search away.

What is measured is what the user sees: Cytoscape's rendered label boxes and node boxes.
The 50-host / 500-container design is only drawn, never stored or predicted: the site refuses to
store a design of 500 addressed containers (249,500 pairs, more than MVLAB_MAX_PREDICTED_PAIRS'
60,000), so the editor loads it as an unsaved design, through the same path as opening one.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Page

from tests.browser.editor import click_element, design, wait_validated

pytestmark = pytest.mark.browser
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TRUNK = EXAMPLES / "docker-8021q-trunk.yaml"
# The least height of a label on screen (font size times zoom) a user reads without zooming.
READABLE_PX = 9
# A small laptop screen; beside it the side panel takes 320 px.
SMALL_SCREEN = {"width": 1024, "height": 768}
# Overlap below this many pixels (on screen, either way) is anti-aliasing, not a collision.
TOLERANCE_PX = 2

# Pairs of boxes that overlap: label on label, label on another element's body, and lines that
# pass through an element that is neither of their ends or through any label but their own (a box:
# its bounding box shrunk by the tolerance). Every box is in model units; the tolerance is scaled by the zoom.
MEASURE = """(tol) => {
  const cy = window.mvlab.canvas.cy;
  const t = tol / cy.zoom();
  const cross = (a, b) => Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1) > t
    && Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1) > t;
  const labelOnly = { includeNodes: false, includeEdges: false, includeLabels: true, includeOverlays: false };
  const labels = cy.elements().filter((e) => e.data("label"))
    .map((e) => ({ id: e.id(), b: e.boundingBox(labelOnly) })).filter((l) => l.b.w > 0);
  const bodies = cy.nodes().filter((n) => !n.isParent())
    .map((n) => ({ id: n.id(), b: n.boundingBox({ includeLabels: false, includeOverlays: false }) }));
  const labelPairs = [];
  for (let i = 0; i < labels.length; i++) for (let j = i + 1; j < labels.length; j++) {
    if (cross(labels[i].b, labels[j].b)) labelPairs.push([labels[i].id, labels[j].id]);
  }
  const labelOnNode = [];
  for (const l of labels) for (const n of bodies) {
    if (l.id !== n.id && cross(l.b, n.b)) labelOnNode.push([l.id, n.id]);
  }
  // A line segment meets a box: clip it (Liang-Barsky) against the box shrunk by the tolerance.
  const meets = (p, q, b) => {
    const [x1, y1, x2, y2] = [b.x1 + t, b.y1 + t, b.x2 - t, b.y2 - t];
    let lo = 0, hi = 1;
    const dx = q.x - p.x, dy = q.y - p.y;
    for (const [pp, qq] of [[-dx, p.x - x1], [dx, x2 - p.x], [-dy, p.y - y1], [dy, y2 - p.y]]) {
      if (pp === 0) { if (qq < 0) return false; continue; }
      const r = qq / pp;
      if (pp < 0) lo = Math.max(lo, r); else hi = Math.min(hi, r);
      if (lo > hi) return false;
    }
    return true;
  };
  const edgeThroughNode = [];
  const edgeThroughLabel = [];
  cy.edges().forEach((e) => {
    const pts = [e.sourceEndpoint(), ...(e.segmentPoints() ?? e.controlPoints() ?? []), e.targetEndpoint()];
    const through = (b) => pts.some((p, k) => k > 0 && meets(pts[k - 1], p, b));
    const ends = new Set([e.source().id(), e.target().id()]);
    for (const n of bodies) if (!ends.has(n.id) && through(n.b)) edgeThroughNode.push([e.id(), n.id]);
    for (const l of labels) if (l.id !== e.id() && through(l.b)) edgeThroughLabel.push([e.id(), l.id]);
  });
  const r = cy.elements().renderedBoundingBox({ includeOverlays: false });
  return {
    labelPairs, labelOnNode, edgeThroughNode, edgeThroughLabel, nodes: cy.nodes().length,
    outside: { left: -r.x1, top: -r.y1, right: r.x2 - cy.width(), bottom: r.y2 - cy.height() },
  };
}"""


def measure(page: Page) -> dict:
    return page.evaluate(MEASURE, TOLERANCE_PX)


def rendered_box(page: Page, element_id: str) -> dict:
    """Where an element is drawn, in pixels from the drawing's top-left corner."""
    return page.evaluate(
        "id => window.mvlab.canvas.cy.getElementById(id).renderedBoundingBox({ includeOverlays: false })",
        element_id,
    )


def open_design(page: Page, data: dict) -> int:
    """Stores a design as the user (through the site's API) and opens it as a bookmark would."""
    design_id = page.evaluate(
        """async (data) => {
          const s = await (await fetch("/api/session")).json();
          const res = await fetch("/api/designs", { method: "POST", credentials: "same-origin",
            headers: { "Content-Type": "application/json", "X-CSRFToken": s.csrf_token },
            body: JSON.stringify({ design: data }) });
          if (!res.ok) throw new Error(`POST /api/designs: ${res.status} ${await res.text()}`);
          return (await res.json()).id;
        }""",
        data,
    )
    page.goto(f"/#design={design_id}")
    page.reload()
    page.wait_for_function(f"window.mvlab && window.mvlab.designId === {design_id}")
    wait_validated(page)
    return design_id


def big_design(hosts: int = 50, per_host: int = 10) -> dict:
    """50 hosts on one trunk, ten VLANs with a macvlan network each, ten containers per host
    (one per network, each with its address)."""
    names = [f"host{i:02d}" for i in range(1, hosts + 1)]
    vlans = list(range(100, 100 + per_host))
    networks = {f"net{v}": {"parent": f"eth0.{v}", "subnet": f"10.{v}.0.0/16"} for v in vlans}
    containers = {}
    for i, h in enumerate(names, start=1):
        for k, v in enumerate(vlans):
            containers[f"c{i:02d}x{k}"] = {"host": h, "networks": {f"net{v}": {"ip": f"10.{v}.{i}.{k + 2}"}}}
    return {
        "apiVersion": "mvlab/v1",
        "kind": "Design",
        "name": "fifty-hosts",
        "hosts": {h: {"nics": ["eth0"]} for h in names},
        "segments": {"trunk": {"ports": [f"{h}.eth0" for h in names], "vlans": vlans}},
        "networks": networks,
        "containers": containers,
    }


ALL_SIDES = ("left", "top", "right", "bottom")


def assert_readable(found: dict, what: str, sides: tuple[str, ...] = ALL_SIDES) -> None:
    """No label on another or on an element, and nothing cut off at the `sides` of the view."""
    assert found["labelPairs"] == [], f"{what}: labels on labels {found['labelPairs'][:10]}"
    assert found["labelOnNode"] == [], f"{what}: labels on elements {found['labelOnNode'][:10]}"
    cut = max(found["outside"][s] for s in sides)
    assert cut <= 0, f"{what}: drawn outside the view by {found['outside']} px"


def trunk(addresses: bool) -> dict:
    """The 802.1Q tutorial lab; without `addresses` IPAM picks every container's (longer labels
    side by side)."""
    data = yaml.safe_load(TRUNK.read_text())
    if not addresses:
        for c in data["containers"].values():
            c["networks"] = {net: {} for net in c["networks"]}
    return data


def summary(found: dict) -> dict:
    return {k: len(v) if isinstance(v, list) else v for k, v in found.items()}


@pytest.mark.parametrize("addresses", [True, False], ids=["as-shipped", "ipam"])
def test_tutorial_lab_is_readable_after_load_and_reload(editor_page: Page, addresses: bool):
    page = editor_page
    open_design(page, trunk(addresses))
    found = measure(page)
    print("trunk:", summary(found))
    assert_readable(found, "docker-8021q-trunk")
    # the routing host's legs, the parent lines and the trunk go around the containers and the labels
    assert found["edgeThroughNode"] == [], found["edgeThroughNode"]
    assert found["edgeThroughLabel"] == [], found["edgeThroughLabel"]
    page.reload()
    page.wait_for_function("window.mvlab && window.mvlab.designId !== null")
    wait_validated(page)
    assert_readable(measure(page), "docker-8021q-trunk after a reload")


def test_new_elements_land_in_view_not_under_the_side_panel(editor_page: Page):
    page = editor_page
    open_design(page, trunk(addresses=True))
    canvas = page.locator("#canvas").bounding_box()
    side = page.locator("#side").bounding_box()
    # at the drawing's edges ("beside" them is past the edge); never one twice running (a double click)
    for key, kind, beside in (
        ("r", "routers", "nics.gw.enp0s8"),
        ("c", "containers", "nics.host2.enp0s8"),
        ("h", "hosts", "networks.mac200"),
        ("n", "networks", "segments.trunk"),
    ):
        before = set(design(page)[kind])
        click_element(page, beside)
        page.keyboard.press(key)
        page.keyboard.press("Enter")
        page.keyboard.press("Escape")  # keeps the name it was given
        (name,) = set(design(page)[kind]) - before
        node_id = f"{kind}.{name}" if kind != "hosts" else f"hosts.{name}"
        box = rendered_box(page, node_id)
        left, right = canvas["x"] + box["x1"], canvas["x"] + box["x2"]
        top, bottom = canvas["y"] + box["y1"], canvas["y"] + box["y2"]
        assert canvas["x"] <= left and right <= canvas["x"] + canvas["width"], (node_id, box, canvas)
        assert canvas["y"] <= top and bottom <= canvas["y"] + canvas["height"], (node_id, box, canvas)
        assert right <= side["x"], f"{node_id} is under the side panel: {box}"
    # The user pans far away, then undoes and redoes the last addition: it comes back into view.
    canvas_box = page.locator("#canvas").bounding_box()
    page.mouse.move(canvas_box["x"] + 30, canvas_box["y"] + canvas_box["height"] - 30)
    page.mouse.down()
    page.mouse.move(canvas_box["x"] + canvas_box["width"] - 30, canvas_box["y"] + 30, steps=5)
    page.mouse.up()
    page.keyboard.press("Control+z")
    page.keyboard.press("Control+Shift+z")
    box = rendered_box(page, node_id)
    assert 0 <= box["x1"] and box["x2"] <= canvas["width"], box
    assert 0 <= box["y1"] and box["y2"] <= canvas["height"], box


def test_fifty_hosts_five_hundred_containers_are_readable(editor_page: Page):
    page = editor_page
    page.evaluate("d => window.mvlab.load({ id: null, design: d, issues: [] })", big_design())
    found = measure(page)
    print("50/500:", summary(found))
    assert found["nodes"] == 50 + 50 + 1 + 10 + 500
    # too large to read whole: shown from its start (top left) at a readable zoom, the rest a pan away
    assert_readable(found, "50 hosts, 500 containers", sides=("left", "top"))
    assert_labels_readable(labels(page), "50 hosts, 500 containers")
    # lines from the upper rows of hosts go down the gaps between them, not through the hosts below
    assert found["edgeThroughNode"] == [], found["edgeThroughNode"][:10]
    assert found["edgeThroughLabel"] == [], found["edgeThroughLabel"][:10]


# The labels as drawn: how high each shown label is on screen (its font size times the zoom), and
# how many of the shown ones lie wholly inside the drawing's box. A label is hidden when its text is
# transparent (the editor hides the ones the zoom would draw too small).
LABEL_IN_VIEW = """(cy, n) => {
  const b = n.renderedBoundingBox({ includeNodes: false, includeEdges: false, includeLabels: true,
                                    includeOverlays: false });
  return b.x1 >= 0 && b.y1 >= 0 && b.x2 <= cy.width() && b.y2 <= cy.height();
}"""
LABELS = f"""() => {{
  const inView = {LABEL_IN_VIEW};
  const cy = window.mvlab.canvas.cy;
  const zoom = cy.zoom();
  const shown = cy.nodes().filter((n) => n.data("label") && n.visible()
                                  && n.numericStyle("text-opacity") > 0);
  const px = shown.map((n) => n.numericStyle("font-size") * zoom);
  return {{ zoom: Math.round(zoom * 1000) / 1000, labels: cy.nodes().filter((n) => n.data("label")).length,
           shown: shown.length, inView: shown.filter((n) => inView(cy, n)).length,
           minPx: px.length ? Math.round(Math.min(...px) * 100) / 100 : null }};
}}"""

# The selected element once the view has settled: its label's height on screen, whether the label is
# drawn, and whether the label lies wholly inside the drawing's box.
SELECTED = f"""() => {{
  const inView = {LABEL_IN_VIEW};
  const cy = window.mvlab.canvas.cy;
  const n = cy.$(":selected");
  if (n.empty()) return null;
  return {{ id: n.id(), px: n.numericStyle("font-size") * cy.zoom(),
           shown: n.numericStyle("text-opacity") > 0, inView: inView(cy, n) }};
}}"""


# Zoomed out: how many hosts' names are drawn, the smallest of them on screen, and the shown labels
# that lie on one another (on screen, by more than the tolerance).
OVERVIEW = """(tol) => {
  const cy = window.mvlab.canvas.cy;
  const zoom = cy.zoom();
  const labelOnly = { includeNodes: false, includeEdges: false, includeLabels: true, includeOverlays: false };
  const shown = cy.nodes().filter((n) => n.data("label") && n.numericStyle("text-opacity") > 0)
    .map((n) => ({ id: n.id(), b: n.renderedBoundingBox(labelOnly),
                   px: n.numericStyle("font-size") * zoom }));
  const hosts = shown.filter((l) => l.id.startsWith("hosts."));
  const overlaps = [];
  for (let i = 0; i < shown.length; i++) for (let j = i + 1; j < shown.length; j++) {
    const [a, b] = [shown[i].b, shown[j].b];
    const across = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
    const down = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
    if (across > tol && down > tol) overlaps.push([shown[i].id, shown[j].id]);
  }
  return { zoom: Math.round(zoom * 1000) / 1000, shown: shown.length, hostsShown: hosts.length,
           minHostPx: hosts.length ? Math.round(Math.min(...hosts.map((l) => l.px)) * 100) / 100 : null,
           overlaps: overlaps.slice(0, 10) };
}"""


def labels(page: Page) -> dict:
    return page.evaluate(LABELS)


def show_unsaved(page: Page, data: dict) -> None:
    """Opens a design in the editor without storing it, as opening one does (the view is fitted)."""
    page.evaluate("d => window.mvlab.load({ id: null, design: d, issues: [] })", data)
    wait_validated(page)
    page.wait_for_function("!window.mvlab.canvas.cy.animated()")


def toggle_panel(page: Page) -> None:
    """The P key, as the user hides or shows the side panel; waits for the drawing to follow its box."""
    before = page.evaluate("window.mvlab.canvas.cy.width()")
    page.locator("#canvas").focus()
    page.keyboard.press("p")
    page.wait_for_function(f"window.mvlab.canvas.cy.width() !== {before}")


def assert_labels_readable(found: dict, what: str) -> None:
    assert found["shown"] > 0, f"{what}: no label shown at all {found}"
    assert found["minPx"] >= READABLE_PX, f"{what}: labels drawn {found['minPx']} px high {found}"


def tab_through(page: Page, count: int) -> list[dict]:
    """Tab from the drawing `count` times; each selected element as the view shows it."""
    page.locator("#canvas").focus()
    seen = []
    for _ in range(count):
        page.keyboard.press("Tab")
        page.wait_for_function("!window.mvlab.canvas.cy.animated()")
        seen.append(page.evaluate(SELECTED))
    return seen


def assert_reached(seen: list[dict], what: str) -> None:
    for s in seen:
        assert s is not None, f"{what}: Tab selected nothing"
        assert s["shown"] and s["px"] >= READABLE_PX and s["inView"], f"{what}: Tab to {s}"


@pytest.mark.parametrize("example", sorted(p.stem for p in EXAMPLES.glob("*.yaml")))
def test_labels_are_readable_at_1024x768_with_and_without_the_panel(
    editor_page: Page, example: str, artifacts: Path
):
    """Issue 12, point 13: at 1024x768 beside the side panel the tutorial lab's labels were 5 px high."""
    page = editor_page
    page.set_viewport_size(SMALL_SCREEN)
    data = yaml.safe_load((EXAMPLES / f"{example}.yaml").read_text())
    show_unsaved(page, data)
    page.screenshot(path=str(artifacts / f"drawing-{example}-1024x768.png"))
    shown = labels(page)
    toggle_panel(page)
    hidden = labels(page)
    print(f"{example} at 1024x768: panel shown {shown}; panel hidden {hidden}")
    assert_labels_readable(shown, f"{example}, panel shown")
    assert_labels_readable(hidden, f"{example}, panel hidden")
    found = measure(page)
    assert found["labelPairs"] == [], found["labelPairs"]
    assert found["labelOnNode"] == [], found["labelOnNode"]
    assert found["edgeThroughNode"] == [], found["edgeThroughNode"]
    # every element can be reached by keyboard, and shows a readable label when it is
    toggle_panel(page)
    assert_reached(tab_through(page, shown["labels"]), example)


def test_fifty_hosts_labels_are_readable_at_1024x768_and_any_element_is_reachable(
    editor_page: Page, artifacts: Path
):
    page = editor_page
    page.set_viewport_size(SMALL_SCREEN)
    show_unsaved(page, big_design())
    page.screenshot(path=str(artifacts / "drawing-50-hosts-1024x768.png"))
    shown = labels(page)
    toggle_panel(page)
    hidden = labels(page)
    print(f"50/500 at 1024x768: panel shown {shown}; panel hidden {hidden}")
    assert_labels_readable(shown, "50/500, panel shown")
    assert_labels_readable(hidden, "50/500, panel hidden")
    found = measure(page)
    assert found["labelPairs"] == [], found["labelPairs"][:10]
    assert found["labelOnNode"] == [], found["labelOnNode"][:10]
    # zoomed out to see it whole, what is still labelled is readable: the small labels give way
    page.evaluate("window.mvlab.canvas.cy.fit(undefined, 20)")
    whole = labels(page)
    print(f"50/500 zoomed out to the whole drawing: {whole}")
    assert whole["shown"] == 0 or whole["minPx"] >= READABLE_PX, whole
    # and the hosts' names are drawn larger: the user reads where each host is, no name on another
    names = page.evaluate(OVERVIEW, TOLERANCE_PX)
    print(f"50/500 zoomed out, the overview: {names}")
    assert names["zoom"] < 0.5, names
    assert names["hostsShown"] == 50 and names["minHostPx"] >= READABLE_PX, names
    assert names["overlaps"] == [], names
    toggle_panel(page)
    assert_reached(tab_through(page, 3), "50/500")
    # the last host's last container, far from the start, is one search away and readable there
    page.keyboard.press("Control+f")
    page.keyboard.type("c50x9")
    page.keyboard.press("Enter")
    page.wait_for_function("window.mvlab.canvas.cy.$(':selected').id() === 'containers.c50x9'")
    page.wait_for_function("!window.mvlab.canvas.cy.animated()")
    assert_reached([page.evaluate(SELECTED)], "50/500, searched")
