#!/usr/bin/env python3
"""Soak (issue 29): a steady mix for --minutes (default 30) against one release server, and
whether anything grows.

The mix, all at once, for the whole run (each user stays far within the per-user limits):
  - page views: GET / five times a second, as rotating users;
  - create and Stop: every 3 s a create in koreacentral is stopped once accepted, and the
    cluster it left is deleted (so the simulated quota stays where it was);
  - failures: every 2 s a create that breaks eastus' quota fails, and is dismissed;
  - event streams coming and going: 100 open, 5 closed and 5 opened every second.

Every 10 s it samples the server's RSS; it counts every answer by status and keeps the
latencies of the first and last five minutes. A 5xx, a refused stream or any answer the flow
does not expect counts as an error. It writes bench/SOAK.md (or --report).

Reproduce:  cargo leptos build --release && python3 bench/soak.py --minutes 30
"""

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scale import ROOT, SUBSCRIPTION, Process, binary, free_port, percentile, wait_for  # noqa: E402
from streams import Stream, cpu_seconds, http_json, quota_breaking  # noqa: E402


class Tally:
    def __init__(self, started, minutes):
        self.started = started
        self.window = min(300.0, minutes * 60 / 4)
        self.end = started + minutes * 60
        self.statuses = {}
        self.errors = []
        self.first, self.last = {}, {}

    def record(self, kind, status, ms, expected):
        self.statuses[(kind, status)] = self.statuses.get((kind, status), 0) + 1
        if status not in expected:
            self.errors.append(f"{kind}: {status}")
        now = time.perf_counter()
        if now - self.started <= self.window:
            self.first.setdefault(kind, []).append(ms)
        elif self.end - now <= self.window:
            self.last.setdefault(kind, []).append(ms)


async def call(tally, port, kind, method, path, user, body=None, expected=(200,)):
    t = time.perf_counter()
    try:
        status, answer = await http_json(port, method, path, user, body)
    except OSError as err:
        tally.errors.append(f"{kind}: {err}")
        return None, None
    tally.record(kind, status, (time.perf_counter() - t) * 1000, expected)
    return status, answer


async def until(deadline, every, step):
    while time.perf_counter() < deadline:
        t = time.perf_counter()
        await step()
        await asyncio.sleep(max(0.0, every - (time.perf_counter() - t)))


async def task_end(tally, port, user, task_id, limit=60):
    end = time.perf_counter() + limit
    while time.perf_counter() < end:
        status, task = await call(tally, port, "task", "GET", f"/api/tasks/{task_id}", user)
        if status == 200 and task and task.get("ready"):
            return task
        await asyncio.sleep(0.5)
    tally.errors.append(f"task {task_id} did not end")
    return None


async def run(args):
    data_dir = tempfile.mkdtemp(prefix="aksdash-soak-")
    port = free_port()
    server = Process(
        [binary()],
        {
            "LISTEN_ADDR": f"127.0.0.1:{port}",
            "DATA_DIR": data_dir,
            "DATABASE_URL": f"sqlite://{os.path.join(data_dir, 'soak.db')}",
            "LEPTOS_SITE_ROOT": os.path.join(ROOT, "target", "site"),
            "RUST_LOG": "warn",
            "ARMSIM_CREATE_SECONDS": "20",
            "ARMSIM_ABORT_SECONDS": "1",
            "ARMSIM_DELETE_SECONDS": "1",
            "ARMSIM_RETRY_AFTER_SECONDS": "1",
            "JOB_POLL_MIN_SECONDS": "0.5",
            "JOB_POLL_MAX_SECONDS": "2",
        },
        os.path.join(data_dir, "dashboard.log"),
    )
    wait_for(f"http://127.0.0.1:{port}/readyz", "the dashboard")
    started = time.perf_counter()
    deadline = started + args.minutes * 60
    tally = Tally(started, args.minutes)
    rss = []
    cpu0 = cpu_seconds(server.proc.pid)
    counter = {"n": 0}

    def user(prefix):
        counter["n"] += 1
        return f"{prefix}{counter['n'] % 200:03d}"

    async def page():
        await call(tally, port, "page", "GET", "/", user("viewer"))

    async def create_and_stop():
        u = user("stopper")
        name = f"soak-{counter['n']}"
        body = {
            "subscription_id": SUBSCRIPTION, "resource_group": "rg-aks-dev",
            "region": "koreacentral", "cluster_name": name, "node_sku": "Standard_D2s_v3",
            "node_count": 1, "system_vm_size": "Standard_D2s_v3", "system_node_count": 1,
        }
        status, accepted = await call(tally, port, "create", "POST", "/api/aks/provision", u, body, (202,))
        if status != 202:
            return
        await asyncio.sleep(2)
        task_id = accepted["task_id"]
        await call(tally, port, "stop", "POST", f"/api/aks/cancel-provision/{task_id}", u, {})
        task = await task_end(tally, port, u, task_id)
        if task and (task.get("error") or {}).get("partial_cluster"):
            for _ in range(20):
                status, _ = await call(
                    tally, port, "delete", "POST", "/api/aks/delete-partial-cluster", u,
                    {"job_id": accepted["job_id"]}, (200, 202, 409),
                )
                if status != 409:
                    break
                await asyncio.sleep(1)

    async def fail_and_dismiss():
        u = user("failer")
        body = quota_breaking(f"{u}-{counter['n']}")
        status, accepted = await call(tally, port, "create", "POST", "/api/aks/provision", u, body, (202,))
        if status != 202:
            return
        task = await task_end(tally, port, u, accepted["task_id"])
        if task:
            await call(tally, port, "dismiss", "POST", "/api/aks/dismiss-failure", u,
                       {"job_id": accepted["job_id"]})

    streams = []
    refused = {"n": 0}

    async def open_stream():
        s = Stream(port, user("watcher"))
        gate = asyncio.Semaphore(0)
        task = asyncio.ensure_future(s.run(gate))
        await gate.acquire()
        if not s.ok:
            refused["n"] += 1
            tally.errors.append("stream refused")
        streams.append((s, task))

    async def churn():
        for _ in range(5):
            if streams:
                s, task = streams.pop(random.randrange(len(streams)))
                task.cancel()
        await asyncio.gather(*(open_stream() for _ in range(5)))

    async def sample():
        rss.append((time.perf_counter() - started, server.rss_kb()))

    def spawn_every(every, step):
        async def loop():
            pending = set()
            while time.perf_counter() < deadline:
                t = asyncio.ensure_future(step())
                pending.add(t)
                t.add_done_callback(pending.discard)
                await asyncio.sleep(every)
            await asyncio.gather(*pending, return_exceptions=True)
        return loop()

    await asyncio.gather(*(open_stream() for _ in range(100)))
    await asyncio.gather(
        until(deadline, 0.2, page),
        spawn_every(3.0, create_and_stop),
        spawn_every(2.0, fail_and_dismiss),
        until(deadline, 1.0, churn),
        until(deadline, 10.0, sample),
    )
    cpu = cpu_seconds(server.proc.pid) - cpu0
    for s, task in streams:
        task.cancel()
    server.stop()
    return tally, rss, cpu, refused["n"], server.peak_rss_kb


def report(args, tally, rss, cpu, refused, peak):
    mb = lambda kb: f"{kb / 1024:,.1f} MB"  # noqa: E731
    values = [kb for _, kb in rss]
    half = values[len(values) // 2:]
    lines = [
        "# Soak (issue 29)",
        "",
        f"`python3 bench/soak.py --minutes {args.minutes}` on {time.strftime('%Y-%m-%d')}: one "
        "release server (SQLite, the embedded simulator), the load generator on the same 2-core "
        "machine. Mix: 5 page views/s; a create stopped and its cluster deleted every 3 s; a "
        "failing create dismissed every 2 s; 100 event streams, 5 replaced every second.",
        "",
        "| | |",
        "| --- | --- |",
        f"| RSS: first sample → last (min / max; max of the second half) | {mb(values[0])} → "
        f"{mb(values[-1])} ({mb(min(values))} / {mb(max(values))}; {mb(max(half))}); peak {mb(peak)} |",
        f"| CPU seconds | {cpu:.0f} over {args.minutes} min |",
        f"| errors | {len(tally.errors)} ({', '.join(sorted(set(tally.errors))[:8]) or 'none'}); streams refused {refused} |",
        "",
        "| answers | count |",
        "| --- | ---: |",
    ]
    for (kind, status), n in sorted(tally.statuses.items()):
        lines.append(f"| {kind} {status} | {n:,} |")
    lines += [
        "",
        f"| latency | first {tally.window / 60:.0f} min p50 / p99 | last {tally.window / 60:.0f} min p50 / p99 |",
        "| --- | --- | --- |",
    ]
    for kind in sorted(set(tally.first) | set(tally.last)):
        a, b = tally.first.get(kind, []), tally.last.get(kind, [])
        lines.append(
            f"| {kind} | {percentile(a, 50):,.1f} / {percentile(a, 99):,.1f} ms | "
            f"{percentile(b, 50):,.1f} / {percentile(b, 99):,.1f} ms |"
        )
    lines += ["", "RSS every 10 s (MB): " + ", ".join(f"{kb / 1024:.0f}" for kb in values), ""]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--report", default=os.path.join(ROOT, "bench", "SOAK.md"))
    args = parser.parse_args()
    tally, rss, cpu, refused, peak = asyncio.run(run(args))
    text = report(args, tally, rss, cpu, refused, peak)
    print(text)
    with open(args.report, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
