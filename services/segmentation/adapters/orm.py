"""The segmentation service's tables."""

from __future__ import annotations

from shared.db import MessagingTables, make_metadata

metadata = make_metadata()
messaging = MessagingTables(metadata)
