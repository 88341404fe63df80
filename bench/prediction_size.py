"""How large the predicted matrix is and how long predicting takes, on a flat network and on
bench/topology.py's routed design (4 VLANs and a forwarding host): the JSON the API serves, the
zlib-compressed form kept in Redis (`analysis.predicted`, level 1), the number of distinct reasons
the pairs share, and the best of `--repeat` predictions in milliseconds. No assertions.

The flat design: N containers on one bridge-mode network spread over 4 hosts on one wire.

    .venv/bin/python bench/prediction_size.py --n 200
"""

from __future__ import annotations

import argparse
import sys
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.topology import design as routed_design
from designer.topology.ipam import allocate
from designer.topology.model import Design
from designer.topology.predict import predict


def flat_design(n: int) -> Design:
    hosts = {f"h{i}": {"nics": ["eth1"]} for i in range(4)}
    return Design.model_validate(
        {
            "apiVersion": "mvlab/v1",
            "kind": "Design",
            "name": f"flat{n}",
            "hosts": hosts,
            "segments": {"lan": {"ports": [f"{h}.eth1" for h in hosts]}},
            "networks": {"flat": {"parent": "eth1", "subnet": "10.0.0.0/16"}},
            "containers": {f"c{k}": {"host": f"h{k % 4}", "networks": {"flat": {}}} for k in range(n)},
        }
    )


def measure(design: Design, repeat: int) -> dict[str, float]:
    allocation = allocate(design)
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        matrix = predict(design, allocation)
        best = min(best, (time.perf_counter() - start) * 1000)
    text = matrix.model_dump_json().encode()
    return {
        "pairs": len(matrix.pairs),
        "predict_ms": best,
        "json_bytes": len(text),
        "stored_bytes": len(zlib.compress(text, 1)),
        "reasons": len(getattr(matrix, "reasons", [])),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[200])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    heads = (
        ("design", 12),
        ("pairs", 7),
        ("predict ms", 10),
        ("JSON bytes", 11),
        ("stored bytes", 12),
        ("reasons", 7),
    )
    print(" ".join(f"{head:>{width}}" for head, width in heads))
    for n in args.n:
        for name, design in ((f"flat{n}", flat_design(n)), (f"routed{n}", routed_design(n))):
            m = measure(design, args.repeat)
            print(
                f"{name:>12} {m['pairs']:>7} {m['predict_ms']:>10.0f} {m['json_bytes']:>11,} "
                f"{m['stored_bytes']:>12,} {m['reasons']:>7}"
            )


if __name__ == "__main__":
    main()
