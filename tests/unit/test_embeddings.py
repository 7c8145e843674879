"""The offline MiniLM embedding: right vectors, same vectors however batched, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from greenroom.store import embeddings
from greenroom.store.embeddings import DIMENSION, EmbeddingModelError, MiniLMEmbedding, embed_texts, verify_file

REFERENCE = Path(__file__).parent / "data" / "minilm_reference.json"

SENTENCES = [
    "A grieving detective hunts a serial killer through a small coastal town.",
    "Two strangers fall in love on a night train across Europe.",
    "Astronauts stranded on Mars must find a way home.",
    "Stock markets fell sharply after the central bank raised interest rates.",
    "Héloïse and Zoë's café: naïve résumés!",
]


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_vectors_match_the_stored_reference() -> None:
    reference = json.loads(REFERENCE.read_text())
    vectors = embed_texts([item["text"] for item in reference["vectors"]])
    for item, vector in zip(reference["vectors"], vectors, strict=True):
        assert _cos(vector, np.array(item["vector"])) >= 0.999, item["text"]


def test_vectors_are_unit_length_and_384_wide() -> None:
    vectors = embed_texts(SENTENCES)
    assert vectors.shape == (len(SENTENCES), DIMENSION)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_padding_to_the_longest_gives_the_same_vectors_as_one_at_a_time() -> None:
    texts = [*SENTENCES, "short", "a much longer input " * 20]
    batched = embed_texts(texts, batch_size=4)
    for text, vector in zip(texts, batched, strict=True):
        single = embed_texts([text], batch_size=1)[0]
        assert _cos(vector, single) >= 0.9999, text


def test_output_keeps_input_order_although_batches_are_sorted_by_length() -> None:
    texts = ["a much longer sentence about a heist in a flooded city", "heist", "a medium heist film"]
    together = embed_texts(texts, batch_size=2)
    apart = np.stack([embed_texts([t])[0] for t in texts])
    assert np.allclose(together, apart, atol=1e-4)


def test_inputs_longer_than_256_tokens_are_truncated_not_rejected() -> None:
    long_text = "word " * 2000
    assert embed_texts([long_text]).shape == (1, DIMENSION)
    # Everything past token 256 is cut, so a different tail changes nothing.
    assert _cos(embed_texts([long_text])[0], embed_texts([long_text + " entirely different ending"])[0]) > 0.99999


def test_related_sentences_score_higher_than_unrelated_ones() -> None:
    space, mars, markets = embed_texts(
        ["Astronauts stranded on Mars", "A crew stuck on the red planet", "Interest rates rose again"]
    )
    assert _cos(space, mars) > _cos(space, markets) + 0.2


def test_chroma_protocol_call_returns_one_vector_per_document() -> None:
    function = MiniLMEmbedding()
    result = function(["one", "two"])
    assert len(result) == 2 and len(result[0]) == DIMENSION
    assert MiniLMEmbedding.build_from_config(function.get_config()).get_config() == function.get_config()
    assert function.default_space() == "cosine"


def test_empty_input_gives_an_empty_array() -> None:
    assert embed_texts([]).shape == (0, DIMENSION)


def test_a_model_file_that_does_not_match_the_pinned_sha256_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "model.onnx"
    fake.write_bytes(b"not a model")
    with pytest.raises(EmbeddingModelError, match="sha256 .* expected " + embeddings.MODEL_SHA256):
        verify_file(fake, embeddings.MODEL_SHA256, "embedding model", "reinstall it")


def test_a_missing_model_file_is_named_in_the_error(tmp_path: Path) -> None:
    with pytest.raises(EmbeddingModelError, match=r"not found at .*missing\.onnx"):
        verify_file(tmp_path / "missing.onnx", embeddings.MODEL_SHA256, "embedding model", "reinstall it")


def test_the_installed_files_are_the_pinned_ones() -> None:
    verify_file(embeddings.model_path(), embeddings.MODEL_SHA256, "embedding model", "")
    verify_file(embeddings.tokenizer_path(), embeddings.TOKENIZER_SHA256, "embedding tokenizer", "")


def _write_reference() -> None:
    """Regenerate the fixture (run once, by hand: python -m tests.unit.test_embeddings)."""
    vectors = [embed_texts([text], batch_size=1)[0] for text in SENTENCES]
    data = {
        "model": embeddings.MODEL_ID,
        "note": "one input per call, no padding; compared with cosine >= 0.999",
        "vectors": [{"text": t, "vector": [round(float(x), 6) for x in v]} for t, v in zip(SENTENCES, vectors, strict=True)],
    }
    REFERENCE.write_text(json.dumps(data) + "\n")


if __name__ == "__main__":
    _write_reference()
