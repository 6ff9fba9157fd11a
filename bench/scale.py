#!/usr/bin/env python3
"""Scale benchmark of the dashboard against the standalone ARM simulator (issue 12).

One run measures, on the release binary:
  1. N provisions (default 1,000, spread over --groups resource groups, default 5) submitted at
     once into a big simulated world (creates take --create-seconds, default 60): accept latency
     p50/p99, wall time until every job ended and from the last accepted POST, ARM requests per
     job, reads per resource group per second while following, the server's peak RSS; then
     200 in one group, 10 groups of 2 (followed alone, and by list), and N followed alone as
     before follow-by-list (issue 38);
  2. accept latency of single provisions while those N are in flight;
  3. the SSR dashboard page: requests/s and latency on 2 cores (wrk when installed, else a
     Python client), and ARM calls per page view on a warm cache;
  4. the small case of the issue: 60 provisions at once in the default world (create 10 s).
It writes bench/SCALE.md (or --report). Standard library only.

Reproduce:  cargo leptos build --release && python3 bench/scale.py
"""

import argparse
import concurrent.futures as futures
import json
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUBSCRIPTION = "11111111-2222-3333-4444-555555555555"
HISTORY_MARKER = "<!-- earlier figures: kept by scale.py -->"
POSTGRES = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")


def binary():
    explicit = os.environ.get("AKSDASH_BIN")
    if explicit:
        return explicit
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    return os.path.join(target, "release", "aks-dashboard")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, body=None, headers=None, timeout=60):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    for k, v in (headers or {}).items():
        request.add_header(k, v)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as res:
            return res.status, res.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def wait_for(url, what, deadline=60):
    end = time.time() + deadline
    while time.time() < end:
        try:
            if http("GET", url, timeout=2)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    sys.exit(f"{what} did not come up at {url}")


def percentile(values, p):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


class Process:
    """A child process of the benchmark, with its peak RSS sampled."""

    def __init__(self, args, env, log):
        self.log = log
        with open(log, "wb") as out:
            self.proc = subprocess.Popen(
                args, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT
            )
        self.peak_rss_kb = 0
        self._stop = False
        threading.Thread(target=self._sample, daemon=True).start()

    def _status_kb(self, field):
        """A `VmRSS`/`VmHWM`-style field of /proc/PID/status, in kB (0 once it is gone)."""
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    if line.startswith(field + ":"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    def rss_kb(self):
        return self._status_kb("VmRSS")

    def hwm_kb(self):
        return self._status_kb("VmHWM")

    def _sample(self):
        while not self._stop and self.proc.poll() is None:
            self.peak_rss_kb = max(self.peak_rss_kb, self.rss_kb())
            time.sleep(0.25)

    def stop(self):
        self._stop = True
        self.peak_rss_kb = max(self.peak_rss_kb, self.hwm_kb())
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def first_env(data_dir, sim_url, dash_port, resource_group):
    """A dashboard's settings against the simulator at `sim_url`."""
    return {
        "LISTEN_ADDR": f"127.0.0.1:{dash_port}",
        "DATA_DIR": data_dir,
        "ARM_ENDPOINT": sim_url,
        "ARM_TOKEN": "bench",
        "AZURE_RESOURCE_GROUP": resource_group,
        # Creates go to other groups of the subscription than the page's (--resource-group).
        "AZURE_SCOPES": f"{SUBSCRIPTION}/*",
        "LEPTOS_SITE_ROOT": os.path.join(ROOT, "target", "site"),
        "RUST_LOG": "warn",
        "MAX_IN_FLIGHT_PER_USER": "10",
        # A thousand creates in one group at once: the scope's cap (50 by default) lifted.
        "MAX_IN_FLIGHT_PER_SCOPE": "5000",
    }


def start_pair(args, world, create_seconds, data_dir, resource_group, env=None):
    sim_port, dash_port = free_port(), free_port()
    sim_cmd = [binary(), "armsim", "--port", str(sim_port)]
    if world:
        sim_cmd += ["--world", world]
    sim = Process(
        sim_cmd,
        {"ARMSIM_CREATE_SECONDS": str(create_seconds), "RUST_LOG": "warn",
         **(env or {})},
        os.path.join(data_dir, "armsim.log"),
    )
    sim_url = f"http://127.0.0.1:{sim_port}"
    wait_for(f"{sim_url}/_armsim/state", "the simulator")
    db = os.path.join(data_dir, "bench.db")
    dash = Process(
        [binary()],
        {
            **first_env(data_dir, sim_url, dash_port, resource_group),
            "DATABASE_URL": f"sqlite://{db}",
            **(env or {}),
        },
        os.path.join(data_dir, "dashboard.log"),
    )
    base = f"http://127.0.0.1:{dash_port}"
    wait_for(f"{base}/readyz", "the dashboard")
    return sim, sim_url, dash, base, db


def provision_body(region, resource_group, name, size):
    return {
        "subscription_id": SUBSCRIPTION,
        "resource_group": resource_group,
        "region": region,
        "cluster_name": name,
        "node_sku": size,
        "node_count": 1,
        "system_vm_size": size,
        "system_node_count": 1,
    }


def submit(base, user, body):
    started = time.perf_counter()
    status, _ = http("POST", f"{base}/api/aks/provision", body, {"X-Dev-User": user})
    return status, (time.perf_counter() - started) * 1000


def jobs_by_status(db, owners="%"):
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as conn:
        return dict(conn.execute(
            "SELECT status, COUNT(*) FROM job_state WHERE owner_id LIKE ? GROUP BY status",
            (owners,)))


def wait_all_ended(db, started, deadline, owners="%"):
    while time.time() < deadline:
        counts = jobs_by_status(db, owners)
        if counts.get("queued", 0) + counts.get("running", 0) == 0:
            return time.perf_counter() - started, counts
        time.sleep(0.5)
    return float("nan"), jobs_by_status(db, owners)


def arm_requests(sim_url):
    status, body = http("GET", f"{sim_url}/_armsim/state")
    state = json.loads(body)
    return state["counters"]["requests"]


def page_load(base, seconds, connections):
    """Requests/s and latency of GET / with a signed-in user."""
    wrk = shutil.which("wrk")
    if wrk:
        out = subprocess.run(
            [wrk, "-t2", f"-c{connections}", f"-d{seconds}s", "--latency",
             "-H", "X-Dev-User: bench-viewer", f"{base}/"],
            capture_output=True, text=True, check=False,
        ).stdout
        rps = next((l.split()[1] for l in out.splitlines() if l.startswith("Requests/sec")), "?")
        p50 = next((l.split()[1] for l in out.splitlines() if l.strip().startswith("50%")), "?")
        p99 = next((l.split()[1] for l in out.splitlines() if l.strip().startswith("99%")), "?")
        total = next((l.split()[0] for l in out.splitlines() if "requests in" in l), "0")
        return {"tool": "wrk -t2 -c%d -d%ds" % (connections, seconds), "rps": rps,
                "p50": p50, "p99": p99, "views": int(total)}
    latencies = []
    end = time.time() + seconds
    lock = threading.Lock()

    def worker():
        while time.time() < end:
            t = time.perf_counter()
            http("GET", f"{base}/", headers={"X-Dev-User": "bench-viewer"})
            with lock:
                latencies.append((time.perf_counter() - t) * 1000)

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return {"tool": f"python client, {connections} threads, {seconds}s (wrk not installed)",
            "rps": f"{len(latencies) / seconds:.0f}",
            "p50": f"{percentile(latencies, 50):.1f}ms", "p99": f"{percentile(latencies, 99):.1f}ms",
            "views": len(latencies)}


def warnings(log):
    with open(log, errors="replace") as f:
        return sum(1 for line in f if " WARN " in line or " ERROR " in line)


def group_name(g):
    return f"rg-scale-{g}"


def big_run(args, report, title, env, n, groups, single=0, page=False):
    """n creates spread over `groups` resource groups (made by the dashboard), submitted at
    once; `single` more timed one by one while they are in flight; the page measured if `page`."""
    data_dir = tempfile.mkdtemp(prefix="aksdash-bench-")
    sim, sim_url, dash, base, db = start_pair(
        args, args.world, args.create_seconds, data_dir, "rg-aks-dev", env)
    try:
        bodies = [(f"bench-u{i}", provision_body(args.region, group_name(i % groups),
                                                  f"bench-{i}", args.size)) for i in range(n)]
        started = time.perf_counter()
        with futures.ThreadPoolExecutor(max_workers=min(256, n)) as pool:
            results = list(pool.map(lambda ub: submit(base, *ub), bodies))
        # Each submit's latency is counted from `started` (all are sent at once): the last
        # accepted POST answered at the largest latency.
        last_post = max((ms for status, ms in results if status == 202), default=0.0) / 1000
        accepted = [ms for status, ms in results if status == 202]
        statuses = {}
        for status, _ in results:
            statuses[status] = statuses.get(status, 0) + 1

        # Single provisions while the N are in flight (other users, other clusters).
        singles = []
        in_flight_counts = {}
        if single:
            time.sleep(2)
            in_flight_counts = jobs_by_status(db)
            for i in range(single):
                status, ms = submit(base, f"bench-single-{i}",
                                    provision_body(args.region, group_name(i % groups),
                                                   f"bench-single-{i}", args.size))
                if status == 202:
                    singles.append(ms)

        wall, counts = wait_all_ended(db, started, time.time() + args.create_seconds * 10 + 600,
                                      "bench-u%")
        wall_all, _ = wait_all_ended(db, started, time.time() + args.create_seconds * 10 + 600)
        requests = arm_requests(sim_url)
        total_requests = sum(requests.values())
        jobs = n + len(singles)
        follow_reads = sum(requests.get(k, 0) for k in ("list", "get", "operation_status"))
        per_group_s = follow_reads / groups / max(wall_all, 1e-9)

        load = None
        if page:
            # The page on a warm cache.
            http("GET", f"{base}/", headers={"X-Dev-User": "bench-viewer"})
            before = sum(arm_requests(sim_url).values())
            # Several windows, the median reported: one 10 s window on a shared 2-core machine
            # varied by a quarter between runs.
            loads = [page_load(base, args.page_seconds, args.page_connections)
                     for _ in range(args.page_runs)]
            after = sum(arm_requests(sim_url).values())
            views = sum(l["views"] for l in loads)
            per_view = (after - before) / max(1, views)
            loads.sort(key=lambda l: float(l["rps"]) if l["rps"] != "?" else 0.0)
            load = loads[len(loads) // 2]
            all_rps = ", ".join(str(l["rps"]) for l in loads)
    finally:
        dash.stop()
        sim.stop()
    settings = ", ".join(f"`{k}={v}`" for k, v in env.items())
    single_row = ""
    if single:
        single_row = (f"| accept latency p50 / p99 of {len(singles)} single provisions with "
                      f"{in_flight_counts.get('queued', 0) + in_flight_counts.get('running', 0)} "
                      f"in flight | {percentile(singles, 50):.1f} ms / "
                      f"{percentile(singles, 99):.1f} ms |\n")
    report.append(f"""## {n} creates over {groups} resource group{'s' if groups > 1 else ''}: {title}

Create {args.create_seconds:g} s, world `{os.path.relpath(args.world, ROOT)}`; {settings}.

| figure | value |
| --- | --- |
| answers to the {n} POSTs | {', '.join(f'{k}: {v}' for k, v in sorted(statuses.items()))} |
| accept latency p50 / p99 ({len(accepted)} accepted at once) | {percentile(accepted, 50):.1f} ms / {percentile(accepted, 99):.1f} ms |
{single_row}| wall time from the first POST until all {n} jobs ended | {wall:.1f} s (create takes {args.create_seconds:g} s) |
| from the last accepted POST until all {n} ended | {wall - last_post:.1f} s |
| the {n} jobs by status at the end | {', '.join(f'{k}: {v}' for k, v in sorted(counts.items()))} |
| ARM requests per job | {total_requests / jobs:.2f} ({total_requests} in all for {jobs} jobs: {', '.join(f'{k} {v}' for k, v in sorted(requests.items()))}) |
| reads while following (list, get, operation status) per resource group per second | {per_group_s:.2f} ({follow_reads} over {groups} group{'s' if groups > 1 else ''} and {wall_all:.1f} s) |
| peak RSS of the dashboard | {dash.peak_rss_kb / 1024:.1f} MB |
| warnings the dashboard logged | {warnings(dash.log)} |
""")
    if load:
        report.append(f"""## The dashboard page (SSR, signed in, warm cache)

| figure | value |
| --- | --- |
| load | {load['tool']}, {len(loads)} times |
| requests/s, median (every run) | {load['rps']} ({all_rps}) |
| latency p50 / p99 of the median run | {load['p50']} / {load['p99']} |
| ARM calls per page view | {per_view:.4f} ({after - before} calls for {views} views) |
""")


def pg_jobs_by_status(url):
    out = subprocess.run(
        ["psql", url, "-qAtc", "SELECT status, COUNT(*) FROM job_state GROUP BY status"],
        capture_output=True, text=True, check=True).stdout
    return {k: int(v) for k, v in (l.split("|") for l in out.split() if "|" in l)}


def two_server_run(args, report, n, groups):
    """n creates over `groups` groups through two servers sharing one PostgreSQL database: each
    server reads its own lists of the groups where it follows creates."""
    data_dir = tempfile.mkdtemp(prefix="aksdash-bench-pg-")
    name = f"aksdash_bench_{os.getpid()}"
    admin = POSTGRES + "/postgres"
    subprocess.run(["psql", admin, "-qc", f'CREATE DATABASE "{name}"'], check=True)
    url = f"{POSTGRES}/{name}"
    env = {"ARMSIM_RETRY_AFTER_SECONDS": "0"}
    sim, sim_url, first, base1, _ = start_pair(
        args, args.world, args.create_seconds, data_dir, "rg-aks-dev",
        {**env, "DATABASE_URL": url})
    port2 = free_port()
    os.makedirs(os.path.join(data_dir, "second"), exist_ok=True)
    second = Process(
        [binary()],
        {**first_env(data_dir, sim_url, port2, "rg-aks-dev"), **env, "DATABASE_URL": url,
         "DATA_DIR": os.path.join(data_dir, "second")},
        os.path.join(data_dir, "dashboard2.log"),
    )
    base2 = f"http://127.0.0.1:{port2}"
    wait_for(f"{base2}/readyz", "the second dashboard")
    try:
        bodies = [(base1 if i % 2 == 0 else base2, f"bench-u{i}",
                   provision_body(args.region, group_name(i % groups), f"bench-{i}", args.size))
                  for i in range(n)]
        started = time.perf_counter()
        with futures.ThreadPoolExecutor(max_workers=min(256, n)) as pool:
            results = list(pool.map(lambda b: submit(*b), bodies))
        last_post = max((ms for status, ms in results if status == 202), default=0.0) / 1000
        statuses = {}
        for status, _ in results:
            statuses[status] = statuses.get(status, 0) + 1
        deadline = time.time() + args.create_seconds * 10 + 600
        while time.time() < deadline:
            counts = pg_jobs_by_status(url)
            if counts.get("queued", 0) + counts.get("running", 0) == 0:
                break
            time.sleep(0.5)
        wall = time.perf_counter() - started
        requests = arm_requests(sim_url)
    finally:
        first.stop()
        second.stop()
        sim.stop()
        subprocess.run(["psql", admin, "-qc", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'],
                       check=False)
    total = sum(requests.values())
    follow_reads = sum(requests.get(k, 0) for k in ("list", "get", "operation_status"))
    report.append(f"""## {n} creates over {groups} resource groups through two servers on one PostgreSQL: each server reads its own lists

Create {args.create_seconds:g} s, world `{os.path.relpath(args.world, ROOT)}`; `ARMSIM_RETRY_AFTER_SECONDS=0`; the POSTs alternate between the servers.

| figure | value |
| --- | --- |
| answers to the {n} POSTs | {', '.join(f'{k}: {v}' for k, v in sorted(statuses.items()))} |
| from the last accepted POST until all {n} ended | {wall - last_post:.1f} s ({wall:.1f} s from the first) |
| the {n} jobs by status at the end | {', '.join(f'{k}: {v}' for k, v in sorted(counts.items()))} |
| ARM requests per job | {total / n:.2f} ({total} in all: {', '.join(f'{k} {v}' for k, v in sorted(requests.items()))}) |
| reads while following per resource group per second | {follow_reads / groups / max(wall, 1e-9):.2f} ({follow_reads} over {groups} groups and {wall:.1f} s) |
| warnings the dashboards logged | {warnings(first.log) + warnings(second.log)} |
""")


def small_run(args, report):
    data_dir = tempfile.mkdtemp(prefix="aksdash-bench-small-")
    sim, sim_url, dash, base, db = start_pair(args, None, 10, data_dir, "rg-aks-dev",
                                              {"ARMSIM_RETRY_AFTER_SECONDS": "0"})
    try:
        bodies = [(f"small-u{i}", provision_body("koreacentral", "rg-aks-dev",
                                                  f"small-{i}", "Standard_D2s_v3"))
                  for i in range(60)]
        started = time.perf_counter()
        with futures.ThreadPoolExecutor(max_workers=60) as pool:
            results = list(pool.map(lambda ub: submit(base, *ub), bodies))
        wall, counts = wait_all_ended(db, started, time.time() + 300)
    finally:
        dash.stop()
        sim.stop()
    accepted = sum(1 for s, _ in results if s == 202)
    report.append(f"""## 60 provisions at once in the default world (create 10 s)

| figure | value |
| --- | --- |
| accepted | {accepted} of 60 |
| wall time until every job ended | {wall:.1f} s |
| jobs by status at the end | {', '.join(f'{k}: {v}' for k, v in sorted(counts.items()))} |
""")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--provisions", type=int, default=1000)
    parser.add_argument("--single", type=int, default=100,
                        help="single provisions timed while the others are in flight")
    parser.add_argument("--create-seconds", type=float, default=60)
    parser.add_argument("--world", default=os.path.join(ROOT, "bench", "world-big.json"))
    parser.add_argument("--region", default="westeurope")
    parser.add_argument("--groups", type=int, default=5,
                        help="resource groups the provisions are spread over (rg-scale-N)")
    parser.add_argument("--skip-main", action="store_true",
                        help="not the main run (N over --groups, the page)")
    parser.add_argument("--append", action="store_true",
                        help="add this run's sections to the report instead of rewriting it")
    parser.add_argument("--two-servers", action="store_true",
                        help="also N creates through two servers on PostgreSQL (psql, BENCH_POSTGRES_URL)")
    parser.add_argument("--skip-scenarios", action="store_true",
                        help="only the main run: not 200 in one group, 10 groups of 2, per job")
    parser.add_argument("--size", default="Standard_D2s_v3")
    parser.add_argument("--page-seconds", type=int, default=10)
    parser.add_argument("--page-connections", type=int, default=32)
    parser.add_argument("--page-runs", type=int, default=5,
                        help="windows of --page-seconds; the median is reported")
    parser.add_argument("--report", default=os.path.join(ROOT, "bench", "SCALE.md"))
    parser.add_argument("--skip-small", action="store_true")
    parser.add_argument("--skip-unbudgeted", action="store_true")
    args = parser.parse_args()
    if not os.path.exists(binary()):
        sys.exit(f"no release binary at {binary()}: run `cargo leptos build --release` first")

    report = []
    # AKS sends no Retry-After; the runner then polls every 5 s, within its read budget.
    aks = {"ARMSIM_RETRY_AFTER_SECONDS": "0"}
    n, groups = args.provisions, args.groups
    if not args.skip_main:
        big_run(args, report, "followed by list, within the default read budget", aks, n,
                groups, single=args.single, page=args.page_runs > 0)
    if not args.skip_scenarios:
        big_run(args, report, "followed by list", aks, 200, 1)
        big_run(args, report, "followed by list (the default JOB_LIST_FOLLOW_MIN=2)", aks, 20, 10)
        big_run(args, report, "each followed alone (JOB_LIST_FOLLOW_MIN=3)",
                {**aks, "JOB_LIST_FOLLOW_MIN": "3"}, 20, 10)
        big_run(args, report, "each followed alone (one a group, below JOB_LIST_FOLLOW_MIN)",
                aks, 10, 10)
        big_run(args, report, "followed by list (one a group, JOB_LIST_FOLLOW_MIN=1)",
                {**aks, "JOB_LIST_FOLLOW_MIN": "1"}, 10, 10)
        big_run(args, report, "every create followed alone (JOB_LIST_FOLLOW_MIN=0), as before",
                {**aks, "JOB_LIST_FOLLOW_MIN": "0"}, n, groups)
    if args.two_servers:
        two_server_run(args, report, n, groups)
    if not args.skip_unbudgeted:
        big_run(args, report, "no read budget (how fast the runner alone is)",
                {**aks, "JOB_ARM_READS_PER_SECOND": "0"}, n, groups)
    if not args.skip_small:
        small_run(args, report)
    cpu = os.cpu_count()
    header = f"""# Scale benchmark

`python3 bench/scale.py` (after `cargo leptos build --release`), {time.strftime('%Y-%m-%d')},
{cpu} cores, the release binary; the dashboard, the standalone simulator and the load generator
share the machine. SQLite (the embedded default).

"""
    # What follows the marker in the report (earlier figures, by hand) is kept; with --append,
    # what comes before it too (this run's sections go just before the marker).
    kept, before = "", header
    if os.path.exists(args.report):
        with open(args.report) as f:
            text = f.read()
        if HISTORY_MARKER in text:
            kept = "\n" + text[text.index(HISTORY_MARKER):]
            if args.append:
                before = text[:text.index(HISTORY_MARKER)].rstrip() + "\n\n"
    with open(args.report, "w") as f:
        f.write(before + "\n".join(report) + kept)
    print(header + "\n".join(report))


if __name__ == "__main__":
    main()
