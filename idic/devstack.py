"""``idic run``: the broker and every service's API and worker on one machine, on SQLite.

Environment: ``IDIC_DATA_DIR`` (default ``.data``), ``IDIC_BROKER`` (default
``127.0.0.1:9092``; ``IDIC_START_BROKER=0`` to use a broker already running there) and
``IDIC_<SERVICE>_PORT`` (defaults 8001–8004; each worker's health port is 100 above) and
``IDIC_DEMO=0`` to start without demo data (`idic.demo`).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from idic import demo
from idic.broker import TansuBroker, wait_for_port
from idic.catalog import SERVICES, ServiceSpec

READY_TIMEOUT_S = 120.0


def _die_with_parent() -> None:
    # Linux: children get SIGTERM if the runner dies, so nothing is orphaned.
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)


class Stack:
    """The processes of a local platform, started and stopped together."""

    def __init__(self) -> None:
        self.data = Path(os.environ.get("IDIC_DATA_DIR", ".data")).resolve()
        self.broker_address = os.environ.get("IDIC_BROKER", "127.0.0.1:9092")
        self.start_broker = os.environ.get("IDIC_START_BROKER", "1") != "0"
        self.ports = {
            name: int(os.environ.get(f"IDIC_{name.upper()}_PORT", spec.port))
            for name, spec in SERVICES.items()
        }
        self.processes: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.broker: TansuBroker | None = None

    def env(self, spec: ServiceSpec) -> dict[str, str]:
        """The environment of one service's processes."""
        return {
            **os.environ,
            "IDIC_ENV": "local",
            "IDIC_SERVICE": spec.name,
            "IDIC_DATABASE_URL": f"sqlite+aiosqlite:///{self.data / spec.name}.db",
            "IDIC_KAFKA__BOOTSTRAP_SERVERS": self.broker_address,
            "IDIC_WORKER_PORT": str(self.ports[spec.name] + 100),
            "IDIC_LOG_JSON": os.environ.get("IDIC_LOG_JSON", "true"),
        }

    def start(self) -> None:
        """Start the broker, migrate every database, start every API and worker."""
        (self.data / "logs").mkdir(parents=True, exist_ok=True)
        host, _, port = self.broker_address.rpartition(":")
        if self.start_broker:
            log = (self.data / "logs" / "broker.log").open("ab")
            self.broker = TansuBroker(host=host, port=int(port), log=log).start()
        wait_for_port(host, int(port))
        for spec in SERVICES.values():
            self._run_once(spec, "migrate", spec.name)
        for spec in SERVICES.values():
            self._spawn(
                spec,
                "api",
                "serve",
                spec.name,
                "--host",
                "127.0.0.1",
                "--port",
                str(self.ports[spec.name]),
            )
            self._spawn(spec, "worker", "worker", spec.name)

    def _run_once(self, spec: ServiceSpec, *args: str) -> None:
        subprocess.run(
            [sys.executable, "-m", "idic.cli", *args],
            env=self.env(spec),
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def _spawn(self, spec: ServiceSpec, role: str, *args: str) -> None:
        log = (self.data / "logs" / f"{spec.name}-{role}.log").open("ab")
        process = subprocess.Popen(
            [sys.executable, "-m", "idic.cli", *args],
            env=self.env(spec),
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
        self.processes.append((f"{spec.name}-{role}", process))

    def wait_ready(self, timeout_s: float = READY_TIMEOUT_S) -> None:
        """Wait until every API and worker answers ``/readyz`` with 200."""
        urls = [f"http://127.0.0.1:{p}/readyz" for p in self.ports.values()]
        urls += [f"http://127.0.0.1:{p + 100}/readyz" for p in self.ports.values()]
        deadline = time.monotonic() + timeout_s
        pending = set(urls)
        while pending and time.monotonic() < deadline:
            self.check_alive()
            for url in sorted(pending):
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(url, timeout=1.0).status_code == 200:
                        pending.discard(url)
            time.sleep(0.3)
        if pending:
            raise TimeoutError(f"not ready after {timeout_s}s: {', '.join(sorted(pending))}")

    def seed_demo(self) -> None:
        """Demo customers and their banking, once per data directory (``IDIC_DEMO=0``: none)."""
        if os.environ.get("IDIC_DEMO", "1") == "0":
            return
        print("seeding demo data (once per data directory)…", flush=True)
        seeded = asyncio.run(
            demo.seed(
                self.data,
                broker=self.broker_address,
                identity=f"http://127.0.0.1:{self.ports['identity']}",
                segmentation=f"http://127.0.0.1:{self.ports['segmentation']}",
            )
        )
        if seeded:
            print(f"seeded {seeded} demo customers", flush=True)

    def check_alive(self) -> None:
        for name, process in self.processes:
            if process.poll() is not None:
                raise RuntimeError(
                    f"{name} exited with {process.returncode}; see {self.data}/logs/{name}.log"
                )

    def stop(self) -> None:
        """Stop every process: services first (they flush), the broker last."""
        for _, process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for _, process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()
        if self.broker is not None:
            self.broker.stop()


def run_stack() -> int:
    """Start everything, print where to look, and stop everything on Ctrl-C or SIGTERM."""
    stack = Stack()
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        stack.start()
        stack.wait_ready()
        stack.seed_demo()
        print(_banner(stack), flush=True)
        while True:
            stack.check_alive()
            time.sleep(1.0)
    except KeyboardInterrupt:
        print("\nstopping…", flush=True)
        return 0
    except (RuntimeError, TimeoutError) as exc:
        print(f"idic run: {exc}", file=sys.stderr)
        return 1
    finally:
        stack.stop()


def _banner(stack: Stack) -> str:
    lines = [
        "",
        f"IDIC is running (SQLite under {stack.data}, broker {stack.broker_address}):",
    ]
    for name, port in stack.ports.items():
        lines.append(f"  {name:<13} http://127.0.0.1:{port}/docs   (worker: :{port + 100}/metrics)")
    lines += [
        "",
        "Get a token and call a service:",
        '  TOKEN=$(.venv/bin/idic token --sub me --scopes "admin")',
        '  curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8003/v1/stages',
        "",
        f"Logs: {stack.data}/logs/.  Stop with Ctrl-C.",
    ]
    return "\n".join(lines)
