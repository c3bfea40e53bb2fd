"""Request and response models of the identity service."""

from __future__ import annotations
