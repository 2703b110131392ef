"""`planrules serve` started: uvicorn, in this process or with a supervisor and N workers.

Every worker is a whole server: its own rulesets loaded and watched, its own evaluation
processes. The supervisor passes SIGHUP on to each worker, which reloads in place (uvicorn's
own answer to SIGHUP, replacing the workers, would put a worker whose ruleset file now fails
to check in service without that ruleset). SIGTERM, to the supervisor or a lone server,
stops taking connections and finishes the requests in flight before the process ends.
"""

from __future__ import annotations

import os
import signal
import tempfile

import uvicorn
from uvicorn.supervisors import Multiprocess

from planrules.serve.logs import log_config
from planrules.serve.settings import SETTINGS_VARIABLE, Settings

APP = "planrules.serve.app:create_app_from_env"
# prometheus-client's folder for the workers' figures (read in `planrules.serve.metrics`).
MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
# How long SIGTERM waits for the requests in flight.
GRACEFUL_SECONDS = 30


class _ReloadingSupervisor(Multiprocess):
    def handle_hup(self) -> None:
        for worker in self.processes:
            if worker.process.pid is not None and worker.process.is_alive():
                os.kill(worker.process.pid, signal.SIGHUP)


def serve(settings: Settings) -> None:
    os.environ[SETTINGS_VARIABLE] = settings.to_env()
    config = uvicorn.Config(
        APP,
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_config=log_config(),
        access_log=False,
        timeout_graceful_shutdown=GRACEFUL_SECONDS,
        server_header=False,
        proxy_headers=False,
    )
    if settings.workers == 1:
        uvicorn.Server(config).run()
        return
    with tempfile.TemporaryDirectory(prefix="planrules-metrics-") as folder:
        os.environ[MULTIPROCESS_VARIABLE] = folder
        socket = config.bind_socket()
        _ReloadingSupervisor(config, sockets=[socket]).run()
