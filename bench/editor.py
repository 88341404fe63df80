"""The editor with a large design: 50 hosts and 500 containers, in Debian's Chromium against the
real site (tests.live: daphne, site worker, lab agent on a temporary database).

Prints how long the site takes to save and validate the design, how long the editor takes to
open and draw it, to show IPAM's addresses (first validation answered), and to redraw after one
edit; and how many elements the drawing holds. Asserts nothing about time.

    .venv/bin/python bench/editor.py [--hosts 50] [--per-host 10]
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import sync_playwright

from tests.browser.fixtures import CHROMIUM, CHROMIUM_ARGS
from tests.live import start_stack, stop_stack


def big_design(hosts: int, per_host: int, networks: int = 5) -> dict:
    return {
        "apiVersion": "mvlab/v1",
        "kind": "Design",
        "name": f"big-{hosts}x{per_host}",
        "hosts": {f"h{i}": {"nics": ["eth0"]} for i in range(hosts)},
        "segments": {"lan": {"ports": [f"h{i}.eth0" for i in range(hosts)]}},
        "networks": {f"n{j}": {"parent": "eth0", "subnet": f"10.{j}.0.0/16"} for j in range(networks)},
        "containers": {
            f"c{i}-{k}": {"host": f"h{i}", "networks": {f"n{k % networks}": {}}}
            for i in range(hosts)
            for k in range(per_host)
        },
    }


def timed(label: str, action):
    start = time.perf_counter()
    result = action()
    print(f"{label:<42} {time.perf_counter() - start:7.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--per-host", type=int, default=10)
    args = parser.parse_args()
    design = big_design(args.hosts, args.per_host)
    # 500 containers on one wire: ~250,000 pairs, past the site's default cap (60,000, design_size)
    os.environ.setdefault("MVLAB_MAX_PREDICTED_PAIRS", "1000000")
    stack = start_stack()
    try:
        username = f"bench{secrets.token_hex(3)}"
        password = stack.create_user(username)
        http = stack.sign_in(username, password)
        body, api = {"design": design}, f"{stack.url}/api"
        saved = timed("site: save (POST /api/designs)", lambda: http.post(f"{api}/designs", json=body))
        saved.raise_for_status()
        timed("site: validate + IPAM (POST /api/validate)", lambda: http.post(f"{api}/validate", json=body))
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_context(base_url=stack.url, viewport={"width": 1600, "height": 950}).new_page()
            page.goto("/")
            page.fill("#id_username", username)
            page.fill("#id_password", password)
            page.click("button[type=submit]")
            page.wait_for_selector("#toolbar #save")
            page.goto(f"/#design={saved.json()['id']}")
            start = time.perf_counter()
            page.reload()
            count = len(design["containers"])
            drawn = (
                f"window.mvlab && Object.keys(window.mvlab.design.containers).length === {count}"
                " && window.mvlab.canvas.cy.nodes().length > 0"
            )
            page.wait_for_function(drawn)
            print(f"{'editor: page load, open and draw':<42} {time.perf_counter() - start:7.2f} s")
            validated = "window.mvlab.lastValidated === JSON.stringify(window.mvlab.design)"
            page.wait_for_function(validated, timeout=120_000)
            print(f"{'editor: ... and IPAM addresses shown':<42} {time.perf_counter() - start:7.2f} s")
            redraw_ms = page.evaluate("""() => { const t = performance.now();
                window.mvlab.edit(d => { d.containers['c0-0'].networks = {n1: {}}; });
                return performance.now() - t; }""")
            print(f"{'editor: one edit, redrawn':<42} {redraw_ms / 1000:7.3f} s")
            count_js = "(cy => [cy.nodes().length, cy.edges().length])(window.mvlab.canvas.cy)"
            nodes, edges = page.evaluate(count_js)
            print(f"drawing: {nodes} nodes, {edges} edges")
            browser.close()
    finally:
        stop_stack(stack)


if __name__ == "__main__":
    main()
