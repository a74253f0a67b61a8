"""Benchmark: start-up of the web app's workers with and without the kept patient table.

Each worker of ``calciscope serve --workers N`` builds the app and warms it up before serving:
it compiles the per-patient explanation and gets the whole patient table. Before the kept table
(``api.kept_patient_table``) every worker computed that table itself; now the first computes it
and writes it for the registry's generation, the others wait and read it, and a later start
(a restart, another ``serve``) reads it while nothing was written.

On an SQLite registry (a file given by ``--db``, or the demo cohort built here: SYNTHETIC), N
workers are started at once, each a fresh child process running the app's warm-up, in three
ways:

* ``each computes``: every worker its own empty folder (what each worker did before);
* ``kept, cold``: one shared empty folder (one computes, the others read its file);
* ``kept, warm``: the folder already holds the table for the registry's generation.

Printed: the CPU-seconds of the warm-up summed over the workers and the slowest worker's wall
seconds, with a floor measured in the same run (one worker's warm-up with the table already in
memory: the explanation's compilation and the app's own start), and the load average.

Usage::

    python benchmarks/web_startup.py [--db sqlite:///registry.db] [--workers 2]
        [--workdir /tmp/calciscope-web-startup]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

#: One worker: build the app, warm it up as ``serve --workers`` does; print CPU and wall seconds.
CHILD = """
import json, resource, sys, time
from pathlib import Path
url, runs, floor = sys.argv[1], Path(sys.argv[2]), sys.argv[3] == "floor"
def cpu():
    return sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
from calciscope.web import WebSettings, create_app
from calciscope.web import app as web_app
c0, w0 = cpu(), time.perf_counter()
app = create_app(WebSettings(db_url=url, secret_key="k" * 48, runs_dir=runs))
if floor:  # the table already in memory: only the rest of the warm-up
    table = app.state.patient_table.table()
    c0, w0 = cpu(), time.perf_counter()
    app = create_app(WebSettings(db_url=url, secret_key="k" * 48, runs_dir=runs))
    app.state.patient_table.compute_all = lambda: table
web_app._warm_up(app)
print(json.dumps({"cpu": cpu() - c0, "wall": time.perf_counter() - w0,
                  "rows": app.state.patient_table.table().num_rows}))
"""


def _start(url: str, runs: Path, floor: bool = False) -> subprocess.Popen[str]:
    args = [sys.executable, "-c", CHILD, url, str(runs), "floor" if floor else "-"]
    return subprocess.Popen(args, stdout=subprocess.PIPE, text=True)


def _workers(url: str, folders: list[Path]) -> tuple[float, float, int]:
    children = [_start(url, folder) for folder in folders]
    figures = []
    for child in children:
        out, _ = child.communicate()
        if child.returncode:
            raise SystemExit(f"a worker failed ({child.returncode})")
        figures.append(json.loads(out.strip().splitlines()[-1]))
    return (
        sum(f["cpu"] for f in figures),
        max(f["wall"] for f in figures),
        figures[0]["rows"],
    )


def main() -> None:
    """Build (or take) the registry, start N workers three ways, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", help="an SQLite registry URL (default: the demo cohort, built)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "calciscope-web-startup"
    )
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    url = args.db
    if url is None:
        from calciscope import api

        path = args.workdir / "demo.db"
        url = f"sqlite:///{path}"
        if not path.exists():
            api.generate_demo_data(args.workdir / "demo")
            with api.open_registry(url) as registry:
                api.import_directory(registry, args.workdir / "demo")
    print(
        f"{url}: {args.workers} workers started at once; cores "
        f"{len(os.sched_getaffinity(0))}; load average {os.getloadavg()[0]:.1f}"
    )
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        root = Path(tmp)
        floor = _start(url, root / "floor" / "runs", floor=True)
        out, _ = floor.communicate()
        base = json.loads(out.strip().splitlines()[-1])
        print(f"  floor (table in memory): {base['cpu']:.2f} CPU-s, {base['wall']:.2f} s wall")
        ways = {
            "each computes": [root / f"own{i}" / "runs" for i in range(args.workers)],
            "kept, cold": [root / "shared" / "runs"] * args.workers,
            "kept, warm": [root / "shared" / "runs"] * args.workers,
        }
        for name, folders in ways.items():
            cpu, wall, rows = _workers(url, folders)
            print(
                f"  {name}: {cpu:.2f} CPU-s over the workers ({cpu / base['cpu']:.1f}x the "
                f"floor's one worker), slowest worker {wall:.2f} s wall; {rows:,} patients; "
                f"load average {os.getloadavg()[0]:.1f}"
            )


if __name__ == "__main__":
    main()
