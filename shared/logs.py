"""JSON logging with the service name and the correlation id on every line."""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from shared import context


class _ContextFilter(logging.Filter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        record.correlation_id = context.correlation_id.get()
        return True


def configure_logging(*, service: str, level: str = "INFO", json: bool = True) -> None:
    """Route the root logger to stderr, as JSON lines (or plain text for a terminal)."""
    handler = logging.StreamHandler(sys.stderr)
    fields = "%(asctime)s %(levelname)s %(name)s %(service)s %(correlation_id)s %(message)s"
    formatter: logging.Formatter = (
        JsonFormatter(fields, rename_fields={"levelname": "level", "asctime": "time"})
        if json
        else logging.Formatter(fields)
    )
    handler.setFormatter(formatter)
    handler.addFilter(_ContextFilter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("aiokafka").setLevel(max(logging.WARNING, root.level))
