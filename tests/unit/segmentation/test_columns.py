"""Labels to codes and back: the same answers below and above the size where polars takes over."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from services.segmentation.domain import columns
from services.segmentation.domain.vocabulary import ABC_ORDER, NO_CODE, TIER_ORDER

LABELS = ["mass", "affluent", None, "private_banking", "unknown", "mass"]


@pytest.fixture(params=["python", "polars"])
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "polars":
        monkeypatch.setattr(columns, "_FEW", 0)
    return str(request.param)


@pytest.mark.usefixtures("path")
def test_labels_become_codes_with_no_code_for_null_and_unknown() -> None:
    coded = columns.codes(pl.Series(LABELS, dtype=pl.String), TIER_ORDER)
    assert coded.dtype == np.int8
    assert coded.tolist() == [0, 1, NO_CODE, 2, NO_CODE, 0]


@pytest.mark.usefixtures("path")
def test_codes_become_labels_with_null_for_no_code() -> None:
    labels = columns.labels(np.array([2, NO_CODE, 0, 1], dtype=np.int8), ABC_ORDER)
    assert labels.dtype == pl.String
    assert labels.to_list() == ["C", None, "A", "B"]


@pytest.mark.usefixtures("path")
def test_an_empty_column_stays_empty() -> None:
    assert columns.codes(pl.Series([], dtype=pl.String), TIER_ORDER).tolist() == []
    assert columns.labels(np.array([], dtype=np.int8), TIER_ORDER).to_list() == []
