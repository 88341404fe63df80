"""How many times, and for how long, one deploy from the editor predicts its design on the site.

The editor predicts before it deploys (POST /api/predict, `analysis.prediction`), the site worker
compiles the plans whose probes carry the prediction (the pipeline's `plans`, designer.topology
.pipeline), and the results store the predicted matrix with the probes filled in
(`results.final_matrix`). Designs are
bench/topology.py's (4 hosts, 4 VLANs, N containers). Needs the site's Redis (REDIS_URL), where
the prediction is kept; prints the calls of `predict` and the milliseconds of each step. No
assertions.

    .venv/bin/python bench/deploy_prediction.py --n 100 500
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mvlab.settings")

import django

django.setup()

from bench.topology import design as bench_design  # noqa: E402
from designer import analysis, designs, results  # noqa: E402
from designer.redis_client import sync_client  # noqa: E402
from designer.topology import predict as predict_module  # noqa: E402

calls = 0


def counting_predict():
    """Counts every call of `predict`, in each module that imported it."""
    original = predict_module.predict

    def counted(*args, **kwargs):
        global calls
        calls += 1
        return original(*args, **kwargs)

    for module in list(sys.modules.values()):
        if getattr(module, "predict", None) is original:
            module.predict = counted


def run(n: int) -> None:
    global calls
    data = bench_design(n).model_dump(mode="json", by_alias=True, exclude_defaults=True)
    parsed = designs.parse(design=data)
    version = SimpleNamespace(yaml=parsed.yaml)
    sync_client().delete(analysis.prediction_key(parsed.design))  # none kept from an earlier run
    calls, row = 0, []
    for step, work in (
        ("editor predict", lambda: analysis.prediction(parsed)),
        ("deploy plans", lambda: designs.parse_version(version).plans("bench")),
        ("results matrix", lambda: results.final_matrix(SimpleNamespace(version=version), [])),
    ):
        began = time.perf_counter()
        work()
        row.append(f"{step} {1000 * (time.perf_counter() - began):7.0f} ms")
    print(f"n={n:5d}  predict calls {calls}  " + "  ".join(row), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, nargs="+", default=[100])
    counting_predict()
    for n in parser.parse_args().n:
        run(n)


if __name__ == "__main__":
    main()
