"""The identity worker: ``python -m services.identity.worker``."""

from __future__ import annotations

from services.identity.bootstrap import bootstrap
from services.identity.events import SUBSCRIPTIONS
from services.identity.settings import get_settings
from shared.worker_main import worker_main


def main() -> None:
    """Run the worker until SIGTERM/SIGINT."""
    worker_main(get_settings(), bootstrap=bootstrap, subscriptions=SUBSCRIPTIONS)


if __name__ == "__main__":
    main()
