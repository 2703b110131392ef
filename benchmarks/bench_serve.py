"""`planrules serve` under load, on loopback: requests per second and latency of
`POST /v1/rulesets/saado/evaluate` with a 12-period history, at 1 and 2 workers, against the
same call through the Python API; then a soak mixing good and bad bodies with a reload of
the ruleset every second.

Run: .venv/bin/python benchmarks/bench_serve.py [--requests N] [--concurrency 1,8]
         [--workers 1,2] [--soak N] [--skip-load] [--skip-soak]

The load generator is an asyncio httpx client with C requests in flight at most (a bounded,
closed loop: a new request leaves when one is answered), in this process: on a 2-core
machine it takes CPU from the server, as a caller on the same host would. Each server is
`planrules serve` in a fresh process (evaluation processes: the cores shared among workers).
The soak counts every answer by status, fails on a 5xx, a transport error or a request
unanswered, and samples the memory (RSS) of the server's whole process tree each second.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

from bench_eval import saado_history
from planrules.eval.evaluate import load

ROOT = Path(__file__).resolve().parent.parent
PATH = "/v1/rulesets/saado/evaluate"
JSON = {"Content-Type": "application/json"}


# ---- the server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(folder: Path, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [sys.executable, "-m", "planrules", "serve", str(folder), "--port", str(port)]
    command += ["--workers", str(workers)]
    log = open(folder.parent / f"server-{workers}.log", "wb")  # noqa: SIM115 (kept by the child)
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                return process, url
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    process.kill()
    raise SystemExit(f"the server did not become ready; see {log.name}")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()


def tree_rss(pid: int) -> int:
    """The resident memory of a process and all its descendants, in bytes."""
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            for task in Path(f"/proc/{current}/task").iterdir():
                pending.extend(int(c) for c in (task / "children").read_text().split())
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024
    return total


# ---- load ----------------------------------------------------------------------------------


async def closed_loop(
    url: str, bodies: list[tuple[str, bytes, dict[str, str]]], concurrency: int
) -> tuple[list[float], Counter[int], int, float]:
    """Send every (path, body, headers) with at most `concurrency` in flight: the latency of
    each, the statuses, the transport errors, and the time it all took."""
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    errors = 0
    queue = iter(bodies)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal errors
        for path, body, headers in queue:
            started = time.perf_counter()
            try:
                response = await client.post(path, content=body, headers=headers)
            except httpx.TransportError:
                errors += 1
                continue
            latencies.append(time.perf_counter() - started)
            statuses[response.status_code] += 1

    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return latencies, statuses, errors, elapsed


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def describe(label: str, latencies: list[float], elapsed: float) -> str:
    return (
        f"{label:<34} {len(latencies) / elapsed:8.0f} req/s   "
        f"p50 {percentile(latencies, 0.50) * 1e3:7.2f} ms   "
        f"p99 {percentile(latencies, 0.99) * 1e3:7.2f} ms"
    )


def bench_api(body: bytes, count: int) -> None:
    """The same call through the Python API, one caller: the body read (as the server reads
    it, Decimal from the text), evaluated, and the JSON report written."""
    from planrules.eval.snapshot_json import parse_json

    ruleset = load(str(ROOT / "rulesets" / "saado.plan"))
    text = body.decode()
    latencies = []
    for run in range(count + 50):
        started = time.perf_counter()
        data = parse_json(text, "body", [], named_json=True)
        assert isinstance(data, dict)
        ruleset.evaluate(data["snapshots"]).to_json()
        if run >= 50:  # the first calls warm the caches up
            latencies.append(time.perf_counter() - started)
    print(describe("Python API (1 thread)", latencies, sum(latencies)))


def bench_http(folder: Path, body: bytes, workers: int, count: int, concurrency: int) -> None:
    process, url = start_server(folder, workers)
    try:
        requests = [(PATH, body, JSON)] * count
        asyncio.run(closed_loop(url, requests[:100], concurrency))  # warm up
        latencies, statuses, errors, elapsed = asyncio.run(closed_loop(url, requests, concurrency))
    finally:
        stop_server(process)
    assert statuses == Counter({200: count}) and not errors, (statuses, errors)
    label = f"HTTP, {workers} worker{'s' * (workers > 1)}, {concurrency} in flight"
    print(describe(label, latencies, elapsed))


# ---- soak ----------------------------------------------------------------------------------


def soak_bodies(good: bytes, count: int) -> list[tuple[str, bytes, dict[str, str], int]]:
    """`count` requests, 70% good, the rest each kind of bad body, with the status each must
    get."""
    history = json.loads(good)["snapshots"]
    bad_metric = json.loads(json.dumps(history))
    bad_metric[3]["metrics"]["doanh_thu"] = "lots"
    kinds = [
        (PATH, good, JSON, 200),
        (PATH, good, JSON, 200),
        (PATH, good, JSON, 200),
        (PATH, good, JSON, 200),
        (PATH, good, JSON, 200),
        (PATH, good, JSON, 200),
        (PATH, good, JSON, 200),
        (PATH, good[:-7], JSON, 400),
        (PATH, json.dumps({"snapshots": bad_metric}).encode(), JSON, 400),
        ("/v1/rulesets/nope/evaluate", good, JSON, 404),
        (PATH, good, {"Content-Type": "text/csv"}, 415),
        (PATH, b" " * (1024**2 + 1), JSON, 413),
        ("/v1/check", json.dumps({"ruleset": "metric x: coun"}).encode(), JSON, 200),
    ]
    return [kinds[index % len(kinds)] for index in range(count)]


async def soak(folder: Path, body: bytes, count: int, concurrency: int) -> None:
    process, url = start_server(folder, 1)
    plan = folder / "saado.plan"
    original = plan.read_text("utf-8")
    planned = soak_bodies(body, count)
    memory: list[int] = []
    reloads = 0

    async def reload_every_second(done: asyncio.Event) -> None:
        nonlocal reloads
        while not done.is_set():
            reloads += 1
            # A new version each time (the comment changes the content hash).
            plan.write_text(original + f"\n# soak reload {reloads}\n", encoding="utf-8")
            memory.append(tree_rss(process.pid))
            await asyncio.sleep(1)

    try:
        done = asyncio.Event()
        reloader = asyncio.create_task(reload_every_second(done))
        requests = [(path, content, headers) for path, content, headers, _ in planned]
        _latencies, statuses, errors, elapsed = await closed_loop(url, requests, concurrency)
        done.set()
        await reloader
        listed = httpx.get(url + "/v1/rulesets").json()["rulesets"]
    finally:
        plan.write_text(original, encoding="utf-8")
        stop_server(process)
    expected = Counter(status for *_, status in planned)
    server_errors = sum(n for status, n in statuses.items() if status >= 500)
    answered = sum(statuses.values())
    saado = next(entry for entry in listed if entry["name"] == "saado")
    print(
        f"soak: {count} requests in {elapsed:.1f} s, {reloads} reloads, "
        f"statuses {dict(sorted(statuses.items()))}"
    )
    print(
        f"      answered {answered} of {count}, transport errors {errors}, 5xx {server_errors},"
        f" as expected: {statuses == expected}; the last version served: {saado['hash'][:19]}"
    )
    third = max(1, len(memory) // 3)
    print(
        "      memory of the server's process tree: first third median "
        f"{statistics.median(memory[:third]) / 2**20:.1f} MiB, last third median "
        f"{statistics.median(memory[-third:]) / 2**20:.1f} MiB, peak {max(memory) / 2**20:.1f} MiB"
    )
    if server_errors or errors or answered != count or statuses != expected:
        raise SystemExit("soak: FAILED")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", default="1,8", help="requests in flight, each in turn")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--soak", type=int, default=10_000)
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--skip-soak", action="store_true")
    args = parser.parse_args()
    body = json.dumps({"snapshots": saado_history()}).encode()
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as scratch:
        folder = Path(scratch) / "rulesets"
        folder.mkdir()
        shutil.copy(ROOT / "rulesets" / "saado.plan", folder / "saado.plan")
        print(f"machine: {os.cpu_count()} cores; body {len(body)} bytes, 12 periods")
        if not args.skip_load:
            bench_api(body, args.requests)
            for workers in (int(w) for w in args.workers.split(",")):
                for concurrency in (int(c) for c in args.concurrency.split(",")):
                    bench_http(folder, body, workers, args.requests, concurrency)
        if not args.skip_soak:
            asyncio.run(soak(folder, body, args.soak, 8))


if __name__ == "__main__":
    main()
