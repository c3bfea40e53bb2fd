"""Request and response models of the segmentation service."""

from __future__ import annotations
