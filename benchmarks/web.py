"""Benchmark: the web app under 50 concurrent clients on loopback (SYNTHETIC registry).

Builds an N-patient synthetic registry (default 10,000; notes read into suggested facts), adds
a clinician, starts ``calciscope serve --workers N`` in a subprocess (uvicorn; 2 worker
processes by default, one per core of the target machine) and runs
``--clients`` concurrent httpx clients for ``--seconds`` (default 60). Each client signs in,
then loops over a mix of requests: the patient page, its criteria panel, a filtered patient list,
the review queue and a review decision (POST; each client decides its own items, so a 409 is an error here).
Prints p50/p95/p99 latency per kind and overall, and the error count, on SQLite and, when the
server on 127.0.0.1:5432 answers, on PostgreSQL. A floor is measured first with the same signed-in
clients for 10 s: ``GET /api/session`` only (the framework, the session middleware and JSON,
no registry), and the pages' p95 is printed as a ratio of the floor's, which a shared machine's
load moves less than the absolute figures. The server's CPU time per request (from
/proc, the server process and its threads) is printed for each phase: it does not grow with
the waiting that another session's load adds, so it can be judged on a shared machine.

Usage::

    python benchmarks/web.py [--patients 10000] [--seconds 60] [--clients 50] [--pause S]
                             [--workers 2] [--route-seconds 5] [--postgres-url URL]
                             [--no-postgres | --no-sqlite] [--workdir DIR]

After the mixed run, each kind of request runs alone for ``--route-seconds`` with the same
clients, and the server's CPU time per request of each kind is printed (the figure to judge
a change by on a shared machine). ``--postgres-url``: a PostgreSQL registry built by an
earlier run (kept, not dropped), instead of a new database. A PostgreSQL registry built here is
analysed (``ANALYZE``) after the import, as autovacuum would do in time: on a server running
without it the planner had no statistics, and the first patient table took minutes.

``--pause S``: each client waits S seconds between requests (0, the default, never pauses:
the clients offer as much load as the server takes).

Target (issue 11): p95 < 100 ms with 0 errors on a 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path

import httpx

from calciscope import api

QUIET_MACHINE = """\
the measurement for issue 11 (a quiet machine: nothing else running, load average < 1):
  closed loop, both engines (a new PostgreSQL database is built, analysed and dropped):
    python benchmarks/web.py --workdir /tmp/calciscope-bench
  paced clients (50 clients, 1 s think time: about 50 requests/s offered):
    python benchmarks/web.py --workdir /tmp/calciscope-bench --pause 1
  --workdir keeps the synthetic cohort and the SQLite registry between the runs; a
  PostgreSQL registry built once can be kept and given again with --postgres-url URL.
  Each engine ends with a line 'RESULT <engine>, <workers>, <mode> | load average start /
  end | p50 p95 p99 | errors | p95 / floor'. Check `uptime` before and after.
"""
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_PREFIX = "calciscope_bench_webspeed_"
USER, PASSWORD = "bench", "bench-password-1234"
FILTERS = ("sex=female", "subset=dcssc", "calcinosis=true", "overlap=true")
KINDS = ("patient", "criteria", "list", "queue", "review")


def build_registry(url: str, cohort: Path, patients: int) -> None:
    """Generate (once) and import the synthetic cohort, read its notes, add the clinician."""
    if not (cohort / "patients.csv").exists():
        start = time.perf_counter()
        api.generate_demo_data(cohort, patients=patients, seed=0)
        print(f"  generated {patients} SYNTHETIC patients in {time.perf_counter() - start:.0f} s")
    start = time.perf_counter()
    registry = api.open_registry(url)
    try:
        api.import_directory(registry, cohort)
        extracted = api.extract_notes(registry)
        api.add_user(registry, USER, "clinician", PASSWORD)
    finally:
        registry.close()
    if url.startswith("postgresql"):  # what autovacuum does in time; a server may run without
        import sqlalchemy as sa

        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:  # no statistics: the first patient table took minutes
            conn.execute(sa.text("ANALYZE"))
        engine.dispose()
    print(
        f"  imported and read {extracted.notes} notes ({extracted.new_facts} suggested facts) "
        f"in {time.perf_counter() - start:.0f} s"
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(url: str, workdir: Path, workers: int = 1) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``calciscope serve`` on a free loopback port; return the process and base URL."""
    port = _free_port()
    env = os.environ | {"CALCISCOPE_SECRET_KEY": uuid.uuid4().hex * 2}
    exe = Path(sys.executable).with_name("calciscope")
    command = [str(exe), "serve", "--db", url, "--port", str(port), "--insecure-cookies",
               "--workers", str(workers)]  # fmt: skip
    process = subprocess.Popen(command, cwd=workdir, env=env)
    base = f"http://127.0.0.1:{port}"
    for _ in range(18_000):  # workers compute their patient table before they serve
        try:
            httpx.get(f"{base}/login", timeout=1)
            return process, base
        except httpx.TransportError:
            time.sleep(0.1)
    process.terminate()
    raise RuntimeError("the server did not start")


async def signed_in(base: str) -> httpx.AsyncClient:
    """Return a client signed in as the clinician, with its CSRF header set."""
    client = httpx.AsyncClient(base_url=base, timeout=60)
    token = (await client.get("/api/session")).json()["csrf_token"]
    response = await client.post(
        "/api/login", json={"name": USER, "password": PASSWORD}, headers={"X-CSRF-Token": token}
    )
    response.raise_for_status()
    client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    return client


class Load:
    """The request mix, the latencies by kind and the errors."""

    def __init__(
        self, patients: list[str], items: list[dict[str, object]], seed: int, pause: float = 0.0
    ) -> None:
        self.pause = pause
        self.patients = patients
        self.items = items
        self.random = random.Random(seed)
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.floor = False
        self.failures: dict[str, int] = defaultdict(int)
        self.cpu = 0.0  # server CPU seconds during the run
        self.floor_cpu = 0.0
        self.only: str | None = None  # one kind of request alone (CPU per request by route)
        self.routes: dict[str, tuple[float, int]] = {}  # kind -> (CPU seconds, requests) alone
        self.loads: list[float] = []  # the machine's 1-minute load average, start and end

    def request(self, client_no: int, clients: int) -> tuple[str, str, str, dict[str, object]]:
        """Return (kind, method, path, options) of the next request."""
        if self.floor:  # the framework's own cost: session middleware, JSON, nothing else
            return "floor", "GET", "/api/session", {}
        kind = self.only or self.random.choice(KINDS)
        if kind == "review" and self.items:
            mine = self.items[client_no::clients]
            if mine:
                item = mine.pop(0)
                self.items.remove(item)
                body = {"decision": self.random.choice(("confirm", "reject")),
                        "reason": "benchmark", "expected_version": item["version"]}  # fmt: skip
                return kind, "POST", f"/api/review/items/{item['item_id']}/decision", {"json": body}
            kind = "queue"
        if kind == "patient":
            return kind, "GET", f"/patients/{self.random.choice(self.patients)}", {}
        if kind == "criteria":  # the patient page's criteria panel (an HTMX fragment)
            return kind, "GET", f"/patients/{self.random.choice(self.patients)}/criteria", {}
        if kind == "list":
            params = {"where": self.random.choice(FILTERS), "page": self.random.randint(1, 5)}
            return kind, "GET", "/api/patients", {"params": params}
        offset = self.random.randrange(0, 500, 100)
        return "queue", "GET", "/api/review", {"params": {"offset": offset}}

    async def client(
        self,
        http: httpx.AsyncClient,
        client_no: int,
        clients: int,
        deadline: float,
        *,
        close: bool = True,
    ) -> None:
        """Run one signed-in client until the deadline."""
        try:
            while time.perf_counter() < deadline:
                kind, method, path, options = self.request(client_no, clients)
                start = time.perf_counter()
                try:
                    response = await http.request(method, path, **options)  # type: ignore[arg-type]
                    ok = response.status_code < 400
                    failure = str(response.status_code)
                except httpx.HTTPError as exc:
                    ok, failure = False, type(exc).__name__
                self.latency[kind].append(time.perf_counter() - start)
                if not ok:
                    self.errors[kind] += 1
                    self.failures[f"{kind} {failure}"] += 1
                if self.pause:
                    await asyncio.sleep(self.pause)
        finally:
            if close:
                await http.aclose()


def _pcts(values: list[float]) -> str:
    if len(values) < 2:
        return "too few requests"
    q = statistics.quantiles(values, n=100)
    return f"p50 {q[49] * 1000:6.0f} ms  p95 {q[94] * 1000:6.0f} ms  p99 {q[98] * 1000:6.0f} ms"


def _stat(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return []


def cpu_seconds(pid: int) -> float:
    """Return the user + system CPU seconds of a process and its workers (Linux /proc), else 0."""
    if not pid:
        return 0.0
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))):
            parents[int(entry.name)] = (int(fields[1]), fields)
    tree, total = {pid}, 0.0
    for child, (parent, _) in sorted(parents.items()):  # children start after their parent
        if parent in tree:
            tree.add(child)
    for member in tree:
        fields = parents.get(member, (0, []))[1]
        if fields:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


async def _phase(target: Load, sessions: list[httpx.AsyncClient], length: float, pid: int) -> int:
    """Run every session on ``target`` for ``length`` seconds; return the requests made."""
    before = sum(len(v) for v in target.latency.values())
    deadline = time.perf_counter() + length
    cpu = cpu_seconds(pid)
    await asyncio.gather(
        *(target.client(s, n, len(sessions), deadline, close=False) for n, s in enumerate(sessions))
    )
    target.cpu += cpu_seconds(pid) - cpu
    return sum(len(v) for v in target.latency.values()) - before


async def run_load(
    base: str,
    seconds: float,
    clients: int,
    pid: int = 0,
    pause: float = 0.0,
    route_seconds: float = 0.0,
) -> Load:
    """Warm the caches, then run the clients for ``seconds`` (then each kind alone)."""
    started = time.perf_counter()
    warm = await signed_in(base)
    warm.timeout = httpx.Timeout(1800)  # the first list computes the feature table of everyone
    listing = (await warm.get("/api/patients", params={"size": 200})).json()
    patients = [r["patient_id"] for r in listing["rows"]]
    items = []
    for offset in range(0, 2000, 500):  # enough open items for every review of the run
        page = await warm.get("/api/review", params={"offset": offset, "limit": 500})
        items += page.json()["items"]
    for f in FILTERS:
        await warm.get("/api/patients", params={"where": f})
    await warm.aclose()
    print(f"  first list, queue and filters (the server computing its table): "
          f"{time.perf_counter() - started:.0f} s")  # fmt: skip
    load = Load(patients, items, seed=0, pause=pause)
    # sign in one by one: argon2id is memory-hard by design, and logins are not the load
    sessions = [await signed_in(base) for _ in range(clients)]
    floor = Load([], [], seed=1, pause=pause)
    floor.floor = True
    load.loads.append(os.getloadavg()[0])
    try:
        await _phase(floor, sessions, min(10.0, seconds), pid)
        await _phase(load, sessions, seconds, pid)
        load.loads.append(os.getloadavg()[0])
        for kind in KINDS if route_seconds else ():
            alone = Load(patients, load.items, seed=2, pause=pause)
            alone.only = kind
            made = await _phase(alone, sessions, route_seconds, pid)
            load.routes[kind] = (alone.cpu, made)
    finally:
        for session in sessions:
            await session.aclose()
    load.latency["floor"], load.errors["floor"] = floor.latency["floor"], floor.errors["floor"]
    load.floor_cpu = floor.cpu
    return load


def report(name: str, load: Load, seconds: float) -> None:
    """Print the latency percentiles and errors, and the page p95 against the floor's."""
    every = [v for kind, values in load.latency.items() if kind != "floor" for v in values]
    print(f"\n{name}: {len(every)} requests in {seconds:.0f} s ({len(every) / seconds:.1f}/s)")
    for kind in sorted(load.latency):
        values = load.latency[kind]
        print(f"  {kind:8} {len(values):6} requests  {_pcts(values)}  errors {load.errors[kind]}")
    if load.failures:
        print("  errors by kind and status:", dict(sorted(load.failures.items())))
    errors = sum(n for kind, n in load.errors.items() if kind != "floor")
    print(f"  {'all':8} {len(every):6} requests  {_pcts(every)}  errors {errors}")
    floor = load.latency.get("floor", [])
    if len(floor) > 1 and len(every) > 1:
        p95, floor_p95 = (statistics.quantiles(v, n=100)[94] for v in (every, floor))
        print(
            f"  p95 of the pages / p95 of the floor (GET /api/session, same clients, "
            f"{len(floor) / min(10.0, seconds):.0f}/s): {p95 / floor_p95:.1f}x"
        )
    if load.cpu and every and floor:
        per, floor_per = load.cpu / len(every) * 1000, load.floor_cpu / len(floor) * 1000
        print(
            f"  server CPU per request: {per:.1f} ms (floor {floor_per:.1f} ms, "
            f"{per / floor_per:.1f}x); {load.cpu:.0f} CPU s in {seconds:.0f} s"
        )
    if load.routes:
        alone = ", ".join(
            f"{kind} {cpu / made * 1000:.1f}" for kind, (cpu, made) in load.routes.items() if made
        )
        print(f"  server CPU per request by route, each alone (ms): {alone}")
    if load.loads:
        print(f"  machine load average (1 min) at the start and end: {load.loads}")
    print(f"RESULT {summary(name, load)}")


def summary(name: str, load: Load) -> str:
    """Return the run in one line: engine and mode, load average, percentiles, errors, floor."""
    every = [v for kind, values in load.latency.items() if kind != "floor" for v in values]
    floor = load.latency.get("floor", [])
    errors = sum(n for kind, n in load.errors.items() if kind != "floor")
    loads = " / ".join(f"{x:.1f}" for x in load.loads) or "?"
    ratio = "?"
    if len(floor) > 1 and len(every) > 1:
        p95, floor_p95 = (statistics.quantiles(v, n=100)[94] for v in (every, floor))
        ratio = f"{p95 / floor_p95:.1f}x"
    percentiles = " ".join(_pcts(every).split())
    return f"{name} | load average {loads} | {percentiles} | errors {errors} | p95 / floor {ratio}"


def _mode(args: argparse.Namespace) -> str:
    """Say how the clients load the server: closed loop, or paced by a think time."""
    if args.pause:
        return (
            f"paced clients ({args.clients}, each waiting {args.pause:g} s between requests, "
            f"as clinicians clicking)"
        )
    return f"closed loop ({args.clients} clients, no pause: as much load as the server takes)"


def bench(name: str, url: str, workdir: Path, args: argparse.Namespace) -> None:
    """Build the registry at ``url``, serve it and load it."""
    print(f"\n== {name}: {url.split('@')[-1]}; {_mode(args)}")
    built = workdir / f"{name}.built"
    prebuilt = name == "PostgreSQL" and args.postgres_url
    if not prebuilt and (name != "SQLite" or not built.exists()):  # --workdir keeps SQLite
        build_registry(url, workdir / "cohort", args.patients)
        built.touch()
    process, base = start_server(url, workdir, args.workers)
    try:
        load = asyncio.run(
            run_load(
                base,
                args.seconds,
                args.clients,
                process.pid,
                pause=args.pause,
                route_seconds=args.route_seconds,
            )
        )
        report(f"{name}, {args.workers} worker(s), {_mode(args)}", load, args.seconds)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _postgres_url() -> str | None:
    try:
        import sqlalchemy as sa

        engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        name = f"{PG_PREFIX}{uuid.uuid4().hex[:8]}"
        with engine.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    except Exception as exc:  # no server, no driver: the SQLite figures stand alone
        print(f"PostgreSQL not reachable ({type(exc).__name__}); skipped")
        return None


def _drop(url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))


def main() -> None:
    """Parse the options and run the benchmark."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        epilog=QUIET_MACHINE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--pause", type=float, default=0.0, help="seconds between requests")
    parser.add_argument("--workers", type=int, default=2, help="serve --workers N")
    parser.add_argument(
        "--route-seconds", type=float, default=5.0, help="then each kind alone (CPU per request)"
    )
    parser.add_argument("--postgres-url", help="a PostgreSQL registry built before (kept)")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument(
        "--workdir", type=Path, help="keep the cohort and the SQLite registry here for reruns"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        if not args.no_sqlite:
            bench("SQLite", f"sqlite:///{workdir / 'bench.db'}", workdir, args)
        if args.postgres_url and not args.no_postgres:
            bench("PostgreSQL", args.postgres_url, workdir, args)
            return
        url = None if args.no_postgres else _postgres_url()
        if url:
            try:
                bench("PostgreSQL", url, workdir, args)
            finally:
                _drop(url)


if __name__ == "__main__":
    main()
