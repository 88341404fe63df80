"""Time reading, checking and writing design files as they grow: load (YAML → Design), validate, dump.

Uses the designs of `bench/topology.py` (4 hosts, 4 VLANs, N containers), written out
with `dump_design` first. Prints milliseconds per step and the file size; no assertions.
The YAML reader is ruamel.yaml's pure-Python parser driven event by event (no C loader:
the safety limits need the events), so it is the part to watch.

    .venv/bin/python bench/design_file.py --n 50 200 1000
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.topology import design
from designer.topology.validate import validate
from designer.topology.yamlio import dump_design, load_design


def ms(fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    return result, (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[50, 200, 1000], help="containers per design")
    args = parser.parse_args()
    print(f"{'containers':>10} {'KiB':>7} {'load ms':>9} {'validate ms':>12} {'dump ms':>9} {'issues':>7}")
    for n in args.n:
        text = dump_design(design(n))
        loaded, load_ms = ms(load_design, text)
        issues, validate_ms = ms(validate, loaded.design, loaded.lines)
        _, dump_ms = ms(dump_design, loaded.design)
        print(
            f"{n:>10} {len(text.encode()) / 1024:>7.1f} {load_ms:>9.1f} {validate_ms:>12.1f} {dump_ms:>9.1f} "
            f"{len(issues):>7}"
        )


if __name__ == "__main__":
    main()
