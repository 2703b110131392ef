"""What `planrules serve` was told: passed to each server process in the environment, as
uvicorn starts its workers from an import string."""

from __future__ import annotations

import ipaddress
import json
import os
from pathlib import Path

import attrs

# The environment variable that carries the settings to the app factory in every worker.
SETTINGS_VARIABLE = "PLANRULES_SERVE_SETTINGS"
DEFAULT_MAX_BODY = 1024**2
DEFAULT_TIME_LIMIT = 10.0


class SettingsError(ValueError):
    """Options that cannot be served as given (the message says what to change)."""


@attrs.frozen
class Settings:
    rulesets_dir: str
    host: str = "127.0.0.1"
    port: int = 8080
    # The token is read from its file by each server process, so that it is not passed to
    # the workers (nor to the evaluation processes) in the environment.
    token_file: str | None = None
    max_body: int = DEFAULT_MAX_BODY
    workers: int = 1
    # Evaluation processes per server worker: each runs one request's evaluation at a time.
    processes: int = 1
    time_limit: float = DEFAULT_TIME_LIMIT
    insecure: bool = False
    watch: bool = True

    @property
    def token(self) -> str | None:
        return None if self.token_file is None else read_token(self.token_file)

    def to_env(self) -> str:
        return json.dumps(attrs.asdict(self))

    @classmethod
    def from_env(cls) -> Settings:
        text = os.environ.get(SETTINGS_VARIABLE)
        if text is None:
            raise SettingsError(
                f"{SETTINGS_VARIABLE} is not set: start the server with `planrules serve`"
            )
        return cls(**json.loads(text))


def read_token(path: str) -> str:
    """The token in `path`: its first line, without surrounding space; an empty one is refused
    (it would let anyone in)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as problem:
        raise SettingsError(f"{path}: the token file cannot be read ({problem})") from None
    lines = text.strip().splitlines()
    token = lines[0].strip() if lines else ""
    if len(token) < 16:
        raise SettingsError(f"{path}: the token must be at least 16 characters")
    return token


def check_exposure(host: str, token: str | None, insecure: bool) -> None:
    """Binding beyond the loopback interface needs a token, or `--insecure` said out loud."""
    if token is not None or insecure or is_loopback(host):
        return
    raise SettingsError(
        f"--host {host} would serve every ruleset to the network without a token: give "
        "--token-file FILE, or --insecure to serve it open"
    )


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
