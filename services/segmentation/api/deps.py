"""Dependencies of the routes: the container and a unit of work from it."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.segmentation.adapters.uow import SegmentationUoW
from services.segmentation.bootstrap import Container


def get_container(request: Request) -> Container:
    """The composition root the app was built with."""
    container: Container = request.app.state.container
    return container


def get_uow(container: Annotated[Container, Depends(get_container)]) -> SegmentationUoW:
    """A fresh unit of work for the request."""
    return container.uow()


ContainerDep = Annotated[Container, Depends(get_container)]
UowDep = Annotated[SegmentationUoW, Depends(get_uow)]
