"""The lifecycle worker: ``python -m services.lifecycle.worker``."""

from __future__ import annotations

from services.lifecycle.bootstrap import bootstrap
from services.lifecycle.events import SUBSCRIPTIONS
from services.lifecycle.settings import get_settings
from shared.worker_main import worker_main


def main() -> None:
    """Run the worker until SIGTERM/SIGINT."""
    worker_main(get_settings(), bootstrap=bootstrap, subscriptions=SUBSCRIPTIONS)


if __name__ == "__main__":
    main()
