"""The interaction worker: ``python -m services.interaction.worker``."""

from __future__ import annotations

from services.interaction.bootstrap import bootstrap
from services.interaction.events import SUBSCRIPTIONS
from services.interaction.settings import get_settings
from shared.worker_main import worker_main


def main() -> None:
    """Run the worker until SIGTERM/SIGINT."""
    worker_main(get_settings(), bootstrap=bootstrap, subscriptions=SUBSCRIPTIONS)


if __name__ == "__main__":
    main()
