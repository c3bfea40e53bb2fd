"""The segmentation worker: ``python -m services.segmentation.worker``."""

from __future__ import annotations

from services.segmentation.bootstrap import bootstrap
from services.segmentation.events import SUBSCRIPTIONS
from services.segmentation.settings import get_settings
from shared.worker_main import worker_main

if __name__ == "__main__":
    worker_main(get_settings(), bootstrap=bootstrap, subscriptions=SUBSCRIPTIONS)
