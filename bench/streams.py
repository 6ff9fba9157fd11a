#!/usr/bin/env python3
"""Ten thousand open dashboards (issue 29): event streams held by one server, and by two servers
sharing PostgreSQL, on the release binary.

One run opens --streams event streams (default 10,000; ten per user, as ten tabs and devices
would) from this process over loopback, then:
  1. every user's create fails (a quota-breaking request): the time from the request to the
     `failure_recorded` event on each of the user's streams (the job runner, the store, the bus
     and the fan-out);
  2. every user dismisses it: the time from the dismiss to `failure_dismissed` on each stream;
  3. the page (GET /) is asked for while all streams are open: its latency;
and records the server's RSS (before and with the streams), its CPU time, and how many streams
were refused or dropped. Two servers: streams and users alternate between them; a user's events
cross from one server to the other through PostgreSQL's NOTIFY.

It writes bench/STREAMS.md (or --report). Standard library only; reuses bench/scale.py's helpers.

Reproduce:  cargo leptos build --release && python3 bench/streams.py
            python3 bench/streams.py --servers 2          (PostgreSQL on 127.0.0.1:5432)
"""

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scale import ROOT, SUBSCRIPTION, Process, binary, free_port, percentile, wait_for  # noqa: E402

STREAMS_PER_USER = 10
POSTGRES = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")


def cpu_seconds(pid):
    """User + system CPU seconds of a process, from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


class Stream:
    """One open `GET /api/events`: the time each event kind was first seen."""

    def __init__(self, port, user):
        self.port, self.user = port, user
        self.seen = {}
        self.ok = False
        self.closed = False

    async def run(self, opened):
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
            # HTTP/1.0: the body is the stream itself, no chunk framing to read through.
            writer.write(
                (
                    f"GET /api/events HTTP/1.0\r\nHost: 127.0.0.1:{self.port}\r\n"
                    f"X-Dev-User: {self.user}\r\nAccept: text/event-stream\r\n"
                    "Sec-Fetch-Site: same-origin\r\n\r\n"
                ).encode()
            )
            await writer.drain()
            status = await reader.readline()
            self.ok = b" 200 " in status
            while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                pass
        finally:
            opened.release()
        if not self.ok:
            self.closed = True
            return
        while True:
            line = await reader.readline()
            if not line:
                self.closed = True
                return
            if line.startswith(b"event:"):
                kind = line[6:].strip().decode()
                self.seen.setdefault(kind, time.perf_counter())


async def http_json(port, method, path, user, body=None):
    """A small HTTP/1.0 client: (status, parsed JSON or None)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    data = b"" if body is None else json.dumps(body).encode()
    head = (
        f"{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nX-Dev-User: {user}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
        f"Origin: http://127.0.0.1:{port}\r\nSec-Fetch-Site: same-origin\r\n\r\n"
    )
    writer.write(head.encode() + data)
    await writer.drain()
    raw = await reader.read()
    writer.close()
    head, _, payload = raw.partition(b"\r\n\r\n")
    status = int(head.split()[1])
    try:
        return status, json.loads(payload)
    except ValueError:
        return status, None


def quota_breaking(user):
    return {
        "subscription_id": SUBSCRIPTION,
        "resource_group": "rg-aks-dev",
        "region": "eastus",
        "cluster_name": f"bench-{user}",
        "node_sku": "Standard_D4s_v3",
        "node_count": 3,
        "system_vm_size": "Standard_D2s_v3",
        "system_node_count": 1,
    }


def start_servers(count, data_dir):
    """`count` dashboards; two share a standalone simulator and a fresh PostgreSQL database."""
    common = {
        "LEPTOS_SITE_ROOT": os.path.join(ROOT, "target", "site"),
        "RUST_LOG": "warn",
        "MAX_STREAMS_PER_SERVER": "12000",
        "ARMSIM_CREATE_SECONDS": "5",
        "JOB_POLL_MIN_SECONDS": "0.5",
        # A thousand users creating in one resource group at once.
        "MAX_IN_FLIGHT_PER_SCOPE": "100000",
    }
    extra, cleanup, sim = {}, None, None
    if count > 1:
        sim_port = free_port()
        sim = Process(
            [binary(), "armsim", "--port", str(sim_port)],
            {"RUST_LOG": "warn"},
            os.path.join(data_dir, "armsim.log"),
        )
        wait_for(f"http://127.0.0.1:{sim_port}/_armsim/state", "the simulator")
        name = f"aks_bench_streams_{uuid.uuid4().hex[:12]}"
        subprocess.run(
            ["psql", POSTGRES + "/postgres", "-qc", f'CREATE DATABASE "{name}"'], check=True
        )
        extra = {
            "DATABASE_URL": f"{POSTGRES}/{name}",
            "ARM_ENDPOINT": f"http://127.0.0.1:{sim_port}",
            "ARM_TOKEN": "bench",
        }

        def cleanup():
            subprocess.run(
                ["psql", POSTGRES + "/postgres", "-qc", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'],
                check=False,
            )
    else:
        extra = {"DATABASE_URL": f"sqlite://{os.path.join(data_dir, 'bench.db')}"}
    servers = []
    for i in range(count):
        port = free_port()
        own = os.path.join(data_dir, f"server{i}")
        os.makedirs(own, exist_ok=True)
        proc = Process(
            [binary()],
            {**common, **extra, "LISTEN_ADDR": f"127.0.0.1:{port}", "DATA_DIR": own},
            os.path.join(data_dir, f"dashboard{i}.log"),
        )
        wait_for(f"http://127.0.0.1:{port}/readyz", "the dashboard")
        servers.append((proc, port))
    return servers, sim, cleanup


async def timed_phase(users, servers, concurrency, send):
    """Runs `send(user, port)` for every user, `concurrency` at a time; their start times."""
    started = {}
    gate = asyncio.Semaphore(concurrency)

    async def one(i, user):
        async with gate:
            port = servers[i % len(servers)][1]
            started[user] = time.perf_counter()
            await send(user, port)

    await asyncio.gather(*(one(i, u) for i, u in enumerate(users)))
    return started


async def settle(streams, kind, deadline):
    end = time.perf_counter() + deadline
    while time.perf_counter() < end:
        if all(kind in s.seen for s in streams if s.ok and not s.closed):
            return
        await asyncio.sleep(0.1)


def latencies(streams, kind, started):
    out = [
        (s.seen[kind] - started[s.user]) * 1000
        for s in streams
        if s.ok and kind in s.seen and s.user in started
    ]
    missing = sum(1 for s in streams if s.ok and kind not in s.seen)
    return out, missing


async def run(args):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    data_dir = tempfile.mkdtemp(prefix="aksdash-streams-")
    servers, sim, cleanup = start_servers(args.servers, data_dir)
    results = {}
    try:
        rss_idle = [p.rss_kb() for p, _ in servers]
        cpu_start = [cpu_seconds(p.proc.pid) for p, _ in servers]
        users = [f"u{i:05d}" for i in range(args.streams // STREAMS_PER_USER)]
        streams, tasks = [], []
        opened = asyncio.Semaphore(args.connect_batch)
        began = time.perf_counter()
        for i in range(args.streams):
            user = users[i // STREAMS_PER_USER]
            s = Stream(servers[i % len(servers)][1], user)
            streams.append(s)
            await opened.acquire()
            tasks.append(asyncio.ensure_future(s.run(opened)))
        # Every stream has its answer head.
        for _ in range(args.connect_batch):
            await opened.acquire()
        results["open_seconds"] = time.perf_counter() - began
        results["streams_ok"] = sum(s.ok for s in streams)
        await asyncio.sleep(2)
        rss_open = [p.rss_kb() for p, _ in servers]

        # The page answers while every stream is open.
        page = []
        for i in range(args.page_views):
            port = servers[i % len(servers)][1]
            t = time.perf_counter()
            status, _ = await http_json(port, "GET", "/", "pageviewer")
            page.append((time.perf_counter() - t) * 1000)
            assert status == 200, status

        jobs = {}

        async def fail(user, port):
            status, body = await http_json(port, "POST", "/api/aks/provision", user, quota_breaking(user))
            if status == 202:
                jobs[user] = body["job_id"]

        started = await timed_phase(users, servers, args.concurrency, fail)
        await settle(streams, "failure_recorded", 120)
        failed_ms, failed_missing = latencies(streams, "failure_recorded", started)

        async def dismiss(user, port):
            if user in jobs:
                await http_json(port, "POST", "/api/aks/dismiss-failure", user, {"job_id": jobs[user]})

        started = await timed_phase(users, servers, args.concurrency, dismiss)
        await settle(streams, "failure_dismissed", 60)
        dismissed_ms, dismissed_missing = latencies(streams, "failure_dismissed", started)

        rss_after = [p.rss_kb() for p, _ in servers]
        cpu = [cpu_seconds(p.proc.pid) - c for (p, _), c in zip(servers, cpu_start)]
        results.update(
            rss_idle=rss_idle,
            rss_open=rss_open,
            rss_after=rss_after,
            peak=[p.hwm_kb() for p, _ in servers],
            cpu=cpu,
            page=page,
            created=len(jobs),
            failed_ms=failed_ms,
            failed_missing=failed_missing,
            dismissed_ms=dismissed_ms,
            dismissed_missing=dismissed_missing,
            dropped=sum(1 for s in streams if s.ok and s.closed),
            refused=sum(1 for s in streams if not s.ok),
            wall=time.perf_counter() - began,
        )
        for t in tasks:
            t.cancel()
    finally:
        for p, _ in servers:
            p.stop()
        if sim:
            sim.stop()
        if cleanup:
            cleanup()
    return results


def ms(values, p):
    return f"{percentile(values, p):,.0f} ms"


def report(args, r):
    mb = lambda kb: f"{kb / 1024:,.0f} MB"  # noqa: E731
    where = (
        "one server, SQLite, the embedded simulator"
        if args.servers == 1
        else f"{args.servers} servers, one PostgreSQL database, a standalone simulator"
    )
    lines = [
        f"## {args.streams:,} open dashboards — {where}",
        "",
        f"`python3 bench/streams.py --streams {args.streams} --servers {args.servers}` on "
        f"{time.strftime('%Y-%m-%d')}, release binary, this machine (2 cores), load generator "
        "on the same machine over loopback.",
        "",
        "| | |",
        "| --- | --- |",
        f"| streams open (of {args.streams:,}) | {r['streams_ok']:,} in {r['open_seconds']:.1f} s; "
        f"refused {r['refused']}, dropped {r['dropped']} |",
        f"| RSS per server: idle → streams open → after the events (peak) | "
        + "; ".join(
            f"{mb(a)} → {mb(b)} → {mb(c)} ({mb(d)})"
            for a, b, c, d in zip(r["rss_idle"], r["rss_open"], r["rss_after"], r["peak"])
        )
        + " |",
        f"| CPU seconds per server, whole run | {', '.join(f'{c:.1f}' for c in r['cpu'])} |",
        f"| `GET /` while all are open ({len(r['page'])} views) | p50 {ms(r['page'], 50)}, "
        f"p99 {ms(r['page'], 99)} |",
        f"| create fails → `failure_recorded` on each of the user's {STREAMS_PER_USER} streams "
        f"({len(r['failed_ms']):,} deliveries, {r['created']:,} creates) | p50 {ms(r['failed_ms'], 50)}, "
        f"p95 {ms(r['failed_ms'], 95)}, p99 {ms(r['failed_ms'], 99)}; missing {r['failed_missing']} |",
        f"| dismiss → `failure_dismissed` on each stream ({len(r['dismissed_ms']):,} deliveries) | "
        f"p50 {ms(r['dismissed_ms'], 50)}, p95 {ms(r['dismissed_ms'], 95)}, "
        f"p99 {ms(r['dismissed_ms'], 99)}; missing {r['dismissed_missing']} |",
        "",
        f"Requests were sent {args.concurrency} at a time; a delivery's time runs from its "
        "request to the event on the stream, so it includes the request itself (and, for a "
        "failure, the job runner's pick-up and Azure's refusal).",
        "",
    ]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--streams", type=int, default=10_000)
    parser.add_argument("--servers", type=int, default=1, choices=[1, 2])
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--connect-batch", type=int, default=200)
    parser.add_argument("--page-views", type=int, default=50)
    parser.add_argument("--report", default=os.path.join(ROOT, "bench", "STREAMS.md"))
    parser.add_argument("--append", action="store_true", help="add to the report instead of replacing it")
    args = parser.parse_args()
    results = asyncio.run(run(args))
    text = report(args, results)
    print(text)
    header = "# Open dashboards per server (issue 29)\n\nWritten by `bench/streams.py`.\n\n"
    if args.append and os.path.exists(args.report):
        with open(args.report, "a") as f:
            f.write("\n" + text)
    else:
        with open(args.report, "w") as f:
            f.write(header + text)


if __name__ == "__main__":
    main()
