"""The capable tier's model file is joined from pinned chunk packages; here, from small fake ones made in a temp folder."""

from __future__ import annotations

import hashlib
import os
import tomllib
from pathlib import Path

import pytest

from greenroom.models.model_files import CAPABLE_MODEL, Chunk, ModelFile, ModelFileError, installed, model_path

ROOT = Path(__file__).resolve().parents[2]
PARTS = [b"GGUF" + bytes(range(256)) * 3, b"second chunk " * 40, b"the last few bytes"]


def _package(site: Path, index: int, data: bytes, version: str = "0.2.0") -> Chunk:
    """Install a chunk package the way pip lays one out: its data file and a dist-info folder."""
    module = f"fakemodel_part{index}"
    (site / module / "data").mkdir(parents=True)
    (site / module / "data" / f"part{index:02d}.bin").write_bytes(data)
    info = site / f"{module}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: fakemodel-part{index}\nVersion: {version}\n")
    return Chunk(f"fakemodel-part{index}", f"{module}/data/part{index:02d}.bin", len(data), hashlib.sha256(data).hexdigest())


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "site-packages"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    return folder


def _model(chunks: list[Chunk]) -> ModelFile:
    whole = b"".join(PARTS)
    return ModelFile("fake.gguf", "0.2.0", len(whole), hashlib.sha256(whole).hexdigest(), tuple(chunks))


def test_the_chunks_are_joined_once_in_order_and_verified(site: Path, tmp_path: Path) -> None:
    model = _model([_package(site, i, data) for i, data in enumerate(PARTS, start=1)])
    assert installed(model)
    seen: list[tuple[int, int]] = []
    path = model_path(model, tmp_path / "data", progress=lambda done, total: seen.append((done, total)))
    assert path == tmp_path / "data" / "models" / "fake.gguf" and path.read_bytes() == b"".join(PARTS)
    assert seen[-1] == (model.size, model.size) and [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert sorted(p.name for p in path.parent.iterdir() if not p.name.endswith(".lock")) == ["fake.gguf", "fake.gguf.sha256"]
    # Joined once: a later launch uses the verified file even after the chunk packages are gone.
    for chunk in model.chunks:
        (site / chunk.path).unlink()
    assert model_path(model, tmp_path / "data", progress=lambda *_: pytest.fail("joined again")) == path


def test_missing_packages_are_named_with_what_to_install(site: Path, tmp_path: Path) -> None:
    chunks = [_package(site, 1, PARTS[0]), _package(site, 3, PARTS[2])]
    model = _model([chunks[0], Chunk("fakemodel-part2", "fakemodel_part2/data/part02.bin", len(PARTS[1]), "0" * 64), chunks[1]])
    assert not installed(model)
    with pytest.raises(ModelFileError, match=r"fakemodel-part2 is not installed.*install greenroom\[quality\]"):
        model_path(model, tmp_path / "data")
    assert not (tmp_path / "data" / "models" / "fake.gguf").exists()


def test_a_chunk_that_does_not_match_its_checksum_is_refused_and_nothing_is_left_behind(site: Path, tmp_path: Path) -> None:
    chunks = [_package(site, i, data) for i, data in enumerate(PARTS, start=1)]
    (site / chunks[1].path).write_bytes(b"X" * len(PARTS[1]))  # same size, other bytes
    with pytest.raises(ModelFileError, match=r"part 2 of fake.gguf \(fakemodel-part2 0.2.0\) does not match its pinned checksum"):
        model_path(_model(chunks), tmp_path / "data")
    assert [p.name for p in (tmp_path / "data" / "models").iterdir() if not p.name.endswith(".lock")] == []


def test_another_version_of_a_chunk_package_is_named(site: Path, tmp_path: Path) -> None:
    chunks = [_package(site, 1, PARTS[0], version="0.1.0"), _package(site, 2, PARTS[1]), _package(site, 3, PARTS[2])]
    with pytest.raises(ModelFileError, match=r"fakemodel-part1 0.1.0 is installed, but 0.2.0 is pinned"):
        model_path(_model(chunks), tmp_path / "data")


def test_a_joined_file_changed_on_disk_is_checked_again_and_rebuilt(site: Path, tmp_path: Path) -> None:
    model = _model([_package(site, i, data) for i, data in enumerate(PARTS, start=1)])
    path = model_path(model, tmp_path / "data")
    path.write_bytes(b"Y" * model.size)  # same size: only the checksum can tell
    os.utime(path, ns=(1, 1))
    assert model_path(model, tmp_path / "data").read_bytes() == b"".join(PARTS)


def test_the_quality_extra_pins_every_chunk_of_the_capable_model() -> None:
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["quality"]
    assert extra == CAPABLE_MODEL.requirements and len(extra) == 22
    assert sum(c.size for c in CAPABLE_MODEL.chunks) == CAPABLE_MODEL.size


def test_the_embedded_provider_picks_its_tier_from_what_is_installed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from greenroom.core.settings import ModelSettings
    from greenroom.models import llm, model_files

    monkeypatch.setattr(model_files, "capable_model_installed", lambda: False)
    assert llm.embedded_tier(ModelSettings(tier="auto")) == "small"
    assert llm.embedded_alias(ModelSettings(tier="auto")) == llm.EMBEDDED_ALIAS
    assert llm.call_deadline(ModelSettings(tier="auto")) == llm.SMALL_MODEL_DEADLINE_S
    monkeypatch.setattr(model_files, "capable_model_installed", lambda: True)
    assert llm.embedded_tier(ModelSettings(tier="auto")) == "capable"
    assert llm.embedded_alias(ModelSettings(tier="auto")) == "qwen2.5-coder-1.5b-instruct-q4_k_m"
    assert llm.call_deadline(ModelSettings(tier="auto", timeout_s=150)) == 150  # the capable tier's calls take longer
    assert llm.embedded_tier(ModelSettings(tier="small")) == "small"  # a setting always wins
    own = tmp_path / "own.gguf"
    assert llm.embedded_tier(ModelSettings(path=str(own))) == "file"


def test_the_capable_tier_without_its_packages_names_the_install(tmp_path: Path) -> None:
    from greenroom.core.settings import ModelSettings
    from greenroom.models import llm

    if llm.embedded_tier(ModelSettings(tier="auto")) == "capable":
        pytest.skip("the capable tier is installed here")
    with pytest.raises(llm.ModelUnavailableError, match=r"greenroom\[quality\]"):
        llm.embedded_model_path(ModelSettings(tier="capable"), tmp_path)
