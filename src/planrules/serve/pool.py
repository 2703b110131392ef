"""The evaluation processes of one server worker, and each request's time limit.

An evaluation is CPU-bound and may run long (a 100,000-key body), and a thread cannot be
stopped: a request past its time limit would leave one running, holding a core, until it
ended. So each evaluation runs in a process of its own: a request waits for a free one (each
does one job at a time), sends it the job through a pipe and waits for the outcome; past the
limit it answers 503, the process is killed, and a fresh one takes its place once it has
started. The event loop only sends and receives; the waiting is done by a thread, which the
kill frees (its pipe closes).

The processes are spawned, not forked: the server has threads (the file watcher's, the
pipes') that a fork would copy mid-step.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import multiprocessing
import signal
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from planrules.serve.errors import ApiError
from planrules.serve.jobs import Job, Outcome, Version, run_job

_log = logging.getLogger("planrules.serve")
# How long a fresh process may take to start and load the evaluator.
START_LIMIT = 60.0


def _serve_jobs(connection: Connection) -> None:
    """An evaluation process: jobs in, outcomes out, until the server closes the pipe."""
    # Ctrl-C in a terminal reaches the whole process group: the server decides when it ends.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            job = connection.recv()
        except (EOFError, OSError):
            return
        connection.send(run_job(job))


class _Process:
    """One evaluation process and the server's end of its pipe."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe()
        self.connection = ours
        self.process: BaseProcess = context.Process(
            target=_serve_jobs, args=(theirs,), name="planrules-evaluation", daemon=True
        )
        self.process.start()
        theirs.close()

    def exchange(self, job: Job) -> Outcome:
        self.connection.send(job)
        outcome = self.connection.recv()
        assert isinstance(outcome, Outcome)
        return outcome

    def stop(self) -> None:
        """Killed; the pipe is closed by whoever reads it last (a thread waiting on it gets
        its end of file from the kill)."""
        self.process.kill()
        self.process.join(5)


def _closed_after(process: _Process, waiting: asyncio.Future[Outcome]) -> None:
    """The pipe of a killed process closed once its waiting thread has its end of file."""
    if not waiting.cancelled():
        waiting.exception()  # retrieved: it is the end of file the kill caused
    process.connection.close()


class EvaluationPool:
    """`size` evaluation processes; `run` gives a job to a free one within the time limit."""

    def __init__(
        self, size: int, time_limit: float, in_service: Callable[[], tuple[Version, ...]]
    ) -> None:
        self.size = size
        self.time_limit = time_limit
        self._in_service = in_service
        self._free: asyncio.Queue[_Process] = asyncio.Queue()
        self._all: set[_Process] = set()
        # A waiting thread per process, and as many for those being replaced meanwhile.
        self._threads = ThreadPoolExecutor(2 * size + 2, thread_name_prefix="planrules-pipe")
        self._closing = False
        self._starting: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        await asyncio.gather(*(self._add_process() for _ in range(self.size)))
        if self._free.empty():
            raise RuntimeError("no evaluation process could be started")

    async def run(self, job: Job) -> Outcome:
        """The job's outcome; 503 where no process is free, or it finishes, within the limit."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.time_limit
        try:
            process = await asyncio.wait_for(self._free.get(), self.time_limit)
        except TimeoutError:
            raise ApiError(
                503, "busy", f"no evaluation process was free within {self._limit_text()}"
            ) from None
        waiting = loop.run_in_executor(self._threads, process.exchange, job)
        try:
            outcome = await asyncio.wait_for(
                asyncio.shield(waiting), max(deadline - loop.time(), 0)
            )
        except TimeoutError:
            self._replace(process, waiting, "ran past the time limit")
            raise ApiError(
                503, "timeout", f"the request ran past its time limit of {self._limit_text()}"
            ) from None
        except (EOFError, OSError):
            self._replace(process, waiting, "ended unexpectedly")
            raise ApiError(503, "worker-died", "the evaluation process ended; try again") from None
        except asyncio.CancelledError:
            # The server is stopping, or the request was dropped: the work is nobody's now.
            self._replace(process, waiting, "was working for a request that is gone")
            raise
        self._free.put_nowait(process)
        return outcome

    def _limit_text(self) -> str:
        return f"{self.time_limit:g} s"

    def _replace(self, process: _Process, waiting: asyncio.Future[Outcome], why: str) -> None:
        """Kill the process (its waiting thread then ends) and start another."""
        _log.warning("evaluation process %s %s: replaced", process.process.pid, why)
        self._retire(process, waiting)
        if not self._closing:
            task = asyncio.create_task(self._add_process())
            self._starting.add(task)
            task.add_done_callback(self._starting.discard)

    def _retire(self, process: _Process, waiting: asyncio.Future[Outcome]) -> None:
        self._all.discard(process)
        process.stop()
        waiting.add_done_callback(functools.partial(_closed_after, process))

    async def _add_process(self) -> None:
        """A fresh process, in service once it has loaded the evaluator and compiled the
        versions in service (a failure to start is logged: the pool is a process short)."""
        loop = asyncio.get_running_loop()
        process = await loop.run_in_executor(self._threads, _Process)
        self._all.add(process)
        started = time.monotonic()
        prepare = Job("prepare", versions=self._in_service())
        waiting = loop.run_in_executor(self._threads, process.exchange, prepare)
        try:
            await asyncio.wait_for(asyncio.shield(waiting), START_LIMIT)
        except (TimeoutError, EOFError, OSError):
            _log.error("an evaluation process did not start within %g s", START_LIMIT)
            self._retire(process, waiting)
            return
        _log.info(
            "evaluation process %s ready in %.2f s", process.process.pid, time.monotonic() - started
        )
        self._free.put_nowait(process)

    async def close(self) -> None:
        self._closing = True
        for task in list(self._starting):
            task.cancel()
        for process in list(self._all):
            with contextlib.suppress(OSError):
                process.stop()
                process.connection.close()
        self._all.clear()
        self._threads.shutdown(wait=False, cancel_futures=True)
