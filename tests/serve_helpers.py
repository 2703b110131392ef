"""A real `planrules serve` for the tests: started in a subprocess on a free loopback port,
spoken to over HTTP with httpx, stopped with SIGTERM."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import RULESETS

TOKEN = "test-token-0123456789abcdef"
STARTUP_SECONDS = 60.0
JSON = {"Content-Type": "application/json"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """A running server: its URL, its process, and its log (standard error) so far."""

    def __init__(self, process: subprocess.Popen[bytes], url: str, log: Path) -> None:
        self.process = process
        self.url = url
        self.log_path = log

    def log(self) -> str:
        return self.log_path.read_text("utf-8", errors="replace")

    def log_lines(self) -> list[dict[str, Any]]:
        """The JSON lines of the log (each line of it must be one)."""
        return [json.loads(line) for line in self.log().splitlines() if line.strip()]

    def client(self, token: str | None = TOKEN, **options: Any) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60.0, **options)

    def signal(self, number: int) -> None:
        self.process.send_signal(number)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        return self.process.returncode


@contextlib.contextmanager
def running_server(
    folder: Path, *options: str, token: str | None = TOKEN, ready: bool = True
) -> Iterator[Server]:
    """`planrules serve FOLDER` with `options`, once it answers /healthz (and /readyz where
    `ready`)."""
    port = free_port()
    arguments = [sys.executable, "-m", "planrules", "serve", str(folder), "--port", str(port)]
    if token is not None:
        token_file = folder.parent / f"token-{port}"
        token_file.write_text(token + "\n", encoding="utf-8")
        arguments += ["--token-file", str(token_file)]
    log = folder.parent / f"server-{port}.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [*arguments, *options],
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    server = Server(process, f"http://127.0.0.1:{port}", log)
    try:
        wait_until(lambda: _answers(server, "/readyz" if ready else "/healthz"), server)
        yield server
    finally:
        server.stop()


def _answers(server: Server, path: str) -> bool:
    try:
        return httpx.get(server.url + path, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def wait_until(
    condition: Callable[[], bool], server: Server | None = None, seconds: float = STARTUP_SECONDS
) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if server is not None and server.process.poll() is not None:
            raise AssertionError(f"the server ended ({server.process.returncode}):\n{server.log()}")
        if time.monotonic() > deadline:
            log = server.log() if server is not None else ""
            raise AssertionError(f"not so within {seconds} s\n{log}")
        time.sleep(0.05)


# The examples served in the tests (others may come to rulesets/ without changing them).
SERVED = ("online_channel_zh", "promotion_budget", "race_kpis", "saado")


def rulesets_copy(target: Path) -> Path:
    """The example rulesets, their tests and snapshots, in a folder of the test's own."""
    folder = target / "rulesets"
    folder.mkdir()
    for name in SERVED:
        for path in RULESETS.glob(f"{name}*"):
            shutil.copy(path, folder / path.name)
    return folder


def saado_snapshots() -> list[dict[str, Any]]:
    data = json.loads((RULESETS / "saado.json").read_text("utf-8"))
    snapshots: list[dict[str, Any]] = data["snapshots"]
    return snapshots


def many_reps_body(reps: int) -> bytes:
    """SAADO's snapshots with `reps` reps: a report that takes a second or more to write (what
    every failing rep needs to pass is worked out for each)."""
    snapshots = saado_snapshots()
    for snapshot in snapshots:
        metrics = snapshot["metrics"]
        for name in ("don_dien_thoai", "don_inbox"):
            if name in metrics:
                metrics[name] = {f"rep{i}": (i * 7) % 300 for i in range(reps)}
    return json.dumps({"snapshots": snapshots}).encode()


def hash_of(client: httpx.Client, name: str) -> str | None:
    listed = client.get("/v1/rulesets").json()["rulesets"]
    found = [entry for entry in listed if entry["name"] == name]
    return found[0]["hash"] if found else None
