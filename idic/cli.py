"""The ``idic`` command: run the platform locally, serve one service, migrate, mint tokens."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from idic.catalog import SERVICES, ServiceSpec


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the chosen command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``idic`` command."""
    parser = argparse.ArgumentParser(prog="idic", description=__doc__)
    sub = parser.add_subparsers(required=True, metavar="command")
    token = sub.add_parser("token", help="print a bearer token signed with the local key")
    token.add_argument("--sub", required=True, help="the subject (who the token is for)")
    token.add_argument(
        "--scopes", default="", help='space-separated scopes, e.g. "customers:read admin"'
    )
    token.add_argument("--ttl", type=int, default=None, help="lifetime in seconds")
    token.set_defaults(func=_token)
    run = sub.add_parser("run", help="start the broker and all services locally on SQLite")
    run.set_defaults(func=_run)
    dead = sub.add_parser("dlq", help="list or replay a topic's dead letters")
    dead.add_argument("action", choices=["show", "replay"])
    dead.add_argument("topic", help="the original topic, e.g. banking.transactions")
    dead.set_defaults(func=_dlq)
    for name, func, text in (
        ("serve", _serve, "serve one service's HTTP API"),
        ("worker", _worker, "run one service's event worker"),
        ("migrate", _migrate, "upgrade one service's database to the latest schema"),
    ):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("service", choices=sorted(SERVICES))
        cmd.set_defaults(func=func)
        if name == "serve":
            cmd.add_argument("--host", default="0.0.0.0")
            cmd.add_argument("--port", type=int, default=None)
            cmd.add_argument("--workers", type=int, default=1, help="API processes (default 1)")
    return parser


def _token(args: argparse.Namespace) -> int:
    from shared.settings import ServiceSettings
    from shared.web.auth import mint_token

    settings = ServiceSettings()
    if not settings.is_local:
        print("idic token signs with the local key: only in local mode", file=sys.stderr)
        return 2
    print(mint_token(settings.auth, subject=args.sub, scopes=args.scopes.split(), ttl_s=args.ttl))
    return 0


def _settings(spec: ServiceSpec) -> Any:
    return spec.module("settings").get_settings()


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from shared.logs import configure_logging

    spec = SERVICES[args.service]
    settings = _settings(spec)
    configure_logging(service=spec.name, level=settings.log_level, json=settings.log_json)
    port = args.port or spec.port
    if args.workers > 1:  # separate processes: each builds its app from the environment
        target = f"services.{spec.name}.main:create_app"
        uvicorn.run(
            target,
            factory=True,
            host=args.host,
            port=port,
            workers=args.workers,
            log_config=None,
            access_log=False,
        )
        return 0
    app = spec.module("main").create_app(settings)
    uvicorn.run(app, host=args.host, port=port, log_config=None, access_log=False)
    return 0


def _worker(args: argparse.Namespace) -> int:
    # Each service's worker module owns its start-up (some run more than the shared loop).
    SERVICES[args.service].module("worker").main()
    return 0


def _migrate(args: argparse.Namespace) -> int:
    from shared.db.engine import create_engine
    from shared.db.migrations import upgrade

    spec = SERVICES[args.service]

    async def go() -> None:
        engine = create_engine(_settings(spec).database_url)
        try:
            await upgrade(engine, spec.migrations)
        finally:
            await engine.dispose()

    asyncio.run(go())
    print(f"{spec.name}: database at head")
    return 0


def _dlq(args: argparse.Namespace) -> int:
    from idic import dlq
    from shared.settings import ServiceSettings

    kafka = ServiceSettings().kafka
    if args.action == "replay":
        print(f"replayed {asyncio.run(dlq.replay(kafka, args.topic))} record(s) to {args.topic}")
        return 0
    for letter in asyncio.run(dlq.show(kafka, args.topic)):
        print(
            f"{letter.offset}\t{letter.key}\t{letter.original}\t{letter.error_type}: {letter.error}"
        )
    return 0


def _run(args: argparse.Namespace) -> int:
    from idic.devstack import run_stack

    return run_stack()


if __name__ == "__main__":
    sys.exit(main())
