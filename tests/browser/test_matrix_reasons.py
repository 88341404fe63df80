"""The matrix shows the site's own reason and path for a pair, IPv6 pairs included (issue 14:
the browser no longer guesses why; it reads the prediction's reasons)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

# IPv4 is routed by r1; IPv6 has no gateway, so the client has no route to the uplink's IPv6 subnet.
DESIGN = """\
apiVersion: mvlab/v1
kind: Design
name: reasons-v6
hosts:
  host1: {nics: [eth1, eth2]}
networks:
  inside: {parent: eth1, subnet: 10.1.0.0/24, gateway: 10.1.0.1, ipv6_subnet: "fd00:1::/64"}
  uplink: {parent: eth2, subnet: 10.2.0.0/24, gateway: 10.2.0.1, ipv6_subnet: "fd00:2::/64"}
containers:
  client: {host: host1, networks: {inside: {ip: 10.1.0.10, ipv6: "fd00:1::10"}}}
  server: {host: host1, networks: {uplink: {ip: 10.2.0.20, ipv6: "fd00:2::20"}}}
routers:
  r1: {host: host1, networks: {inside: {ip: 10.1.0.1}, uplink: {ip: 10.2.0.1}}}
"""


def cell(page: Page, src: str, dst_ip: str):
    return page.locator(f'#matrix td.cell[data-src="{src}"][data-dst-ip="{dst_ip}"]')


def test_focus_and_hover_show_the_sites_reason_for_ipv6_and_ipv4_pairs(
    editor_page: Page, live_stack, tmp_path: Path
):
    page = editor_page
    path = tmp_path / "reasons-v6.yaml"
    path.write_text(DESIGN)
    predicted = json.loads(live_stack.manage("lab", "predict", str(path), "--json"))
    reasons = predicted["reasons"]
    why = {(p["src"], p["dst_ip"]): reasons[p["reason"]] for p in predicted["pairs"]}
    blocked_v6 = why["client", "fd00:2::20"]
    assert blocked_v6["rule"] == "no-route" and "fd00:2::/64" in blocked_v6["text"]
    routed_v4 = why["client", "10.2.0.20"]
    assert routed_v4["text"] == "routed by r1, TTL 63"

    page.set_input_files("#import-file", str(path))
    expect(page.locator("#status")).to_contain_text("imported")
    page.click("#tab-deploy")
    page.wait_for_selector("#matrix td.cell")

    # Keyboard focus on the blocked IPv6 pair: the site's sentence, and the packet stops at the client.
    cell(page, "client", "fd00:2::20").focus()
    shown = page.locator("#matrix-why")
    expect(shown).to_contain_text("client → server (fd00:2::20): expected unreachable")
    expect(shown).to_contain_text(blocked_v6["text"])
    expect(shown).to_contain_text("Path: client ✗")
    assert blocked_v6["text"] in cell(page, "client", "fd00:2::20").get_attribute("aria-label")

    # Hover on the IPv4 pair of the same two containers: routed by r1, through its two legs.
    cell(page, "client", "10.2.0.20").hover()
    expect(shown).to_contain_text("routed by r1, TTL 63")
    expect(shown).to_contain_text("Path: client → r1 (eth0 → eth1) → server")
    highlighted = page.evaluate("window.mvlab.canvas.cy.$('.highlight').map(e => e.id())")
    assert {"routers.r1", "networks.inside", "networks.uplink"} <= set(highlighted), highlighted
