"""llama-cpp-python's OpenAI-compatible server, with the grammar checked on the sampled token first.

llama-cpp-python (0.3.x) puts the grammar sampler into the chain ahead of
top-k, so for every generated token the grammar is matched against all 49,152
tokens of SmolLM2's vocabulary. llama.cpp's own server does it the other way
round (common/sampling.cpp): sample from the chain without the grammar, check
only the chosen token against the grammar, and apply the grammar to the whole
vocabulary only when that token is rejected. Every token that comes out is
still one the grammar allows. After a rejection the grammar is tried on a
shortlist of the likeliest tokens before the whole vocabulary (SHORTLIST).
This module runs llama-cpp-python's server with that order; nothing else
about the server changes.

Measured on SmolLM2-135M, 2 cores, the same schema-bound request
(`benchmarks/grammar_bench.py`): about 60-70 tokens/s with the grammar over
the whole vocabulary, about 110-120 tokens/s checked first, with every answer
still inside the grammar.

    python -m greenroom.tools.llama_server --model FILE [llama_cpp.server options]
"""

from __future__ import annotations

import ctypes
import inspect
import logging
import runpy
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

_TOKEN = np.dtype([("id", np.int32), ("logit", np.float32), ("p", np.float32)], align=True)
"""The layout of llama.cpp's llama_token_data."""

SHORTLIST = 1024
"""On a rejection, the grammar is first applied to this many of the likeliest tokens, and to the whole vocabulary
only when it allows none of them. Sampling keeps the top 40 anyway (top-k), so the choice is the same in practice.
Measured on SmolLM2-135M with the writer's schemas: 5-20% of the sampled tokens are rejected, a pass over the whole
vocabulary costs about 10 ms, and the shortlist holds an allowed token for about 90% of the rejections (256 gave
about 85%)."""


class GrammarCheckedSampler:
    """A llama.cpp sampler chain plus a grammar that is checked on the chosen token, and applied in full on rejection.

    It stands in for llama-cpp-python's `LlamaSampler` where `Llama.generate` uses one: `sample(ctx, idx)`.
    """

    def __init__(self, chain: Any, vocab: Any, grammar: Any, n_vocab: int) -> None:
        from llama_cpp import llama_cpp as api

        self._api = api
        self.chain = chain
        """The LlamaSampler without the grammar (penalties, top-k, ..., dist); kept alive here."""
        self.grammar = api.llama_sampler_init_grammar(vocab, grammar._grammar.encode(), grammar._root.encode())
        if not self.grammar:
            raise ValueError("llama.cpp did not accept the grammar")
        self.n_vocab = n_vocab
        self.ids = np.arange(n_vocab, dtype=np.int32)
        self.tokens = np.zeros(n_vocab, dtype=_TOKEN)
        self.shortlist = np.zeros(min(SHORTLIST, n_vocab), dtype=_TOKEN)
        self.chosen = np.zeros(1, dtype=_TOKEN)
        self.samples = 0
        self.rejections = 0
        self.full_passes = 0

    def _candidates(self, ctx: Any, idx: int) -> Any:
        """Every token with the logits at `idx`, as the array llama.cpp's samplers work on."""
        logits = self._api.llama_get_logits_ith(ctx.ctx, idx)
        self.tokens["id"] = self.ids  # the samplers reorder the array in place: every token back in its slot
        self.tokens["logit"] = np.ctypeslib.as_array(logits, shape=(self.n_vocab,))
        self.tokens["p"] = 0.0
        return self._array(self.tokens)

    def _array(self, data: np.ndarray) -> Any:
        pointer = data.ctypes.data_as(self._api.llama_token_data_p)
        return self._api.llama_token_data_array(data=pointer, size=len(data), selected=-1, sorted=False)

    def _allowed(self, token: int) -> bool:
        self.chosen[0] = (token, 1.0, 0.0)
        one = self._array(self.chosen)
        self._api.llama_sampler_apply(self.grammar, ctypes.byref(one))
        return bool(np.isfinite(self.chosen["logit"][0]))

    def sample(self, ctx: Any, idx: int = -1) -> int:
        """The next token: the chain's choice if the grammar allows it, else a choice among the tokens it allows."""
        self.samples += 1
        candidates = self._candidates(ctx, idx)
        self._api.llama_sampler_apply(self.chain.sampler, ctypes.byref(candidates))
        token = int(self.tokens["id"][candidates.selected])
        if not self._allowed(token):
            self.rejections += 1
            token = self._among_allowed(ctx, idx)
        self._api.llama_sampler_accept(self.grammar, token)
        self._api.llama_sampler_accept(self.chain.sampler, token)
        return token

    def _among_allowed(self, ctx: Any, idx: int) -> int:
        """The chain's choice among the tokens the grammar allows: from the shortlist when it allows any of those."""
        logits = np.ctypeslib.as_array(self._api.llama_get_logits_ith(ctx.ctx, idx), shape=(self.n_vocab,))
        likeliest = np.argpartition(logits, -len(self.shortlist))[-len(self.shortlist) :]
        self.shortlist["id"], self.shortlist["logit"], self.shortlist["p"] = likeliest, logits[likeliest], 0.0
        candidates, data = self._array(self.shortlist), self.shortlist
        self._api.llama_sampler_apply(self.grammar, ctypes.byref(candidates))
        if not np.isfinite(self.shortlist["logit"]).any():
            self.full_passes += 1
            candidates, data = self._candidates(ctx, idx), self.tokens
            self._api.llama_sampler_apply(self.grammar, ctypes.byref(candidates))
        self._api.llama_sampler_apply(self.chain.sampler, ctypes.byref(candidates))
        return int(data["id"][candidates.selected])

    def close(self) -> None:
        """Free the grammar sampler (the chain frees itself)."""
        if self.grammar:
            self._api.llama_sampler_free(self.grammar)
            self.grammar = None

    def __del__(self) -> None:
        self.close()


def install() -> bool:
    """Make `llama_cpp.Llama` sample grammar-bound requests with GrammarCheckedSampler; False where it cannot."""
    from llama_cpp import Llama

    stock = getattr(Llama, "_init_sampler", None)
    if stock is None or "grammar" not in inspect.signature(stock).parameters:
        logger.warning("llama-cpp-python changed: the grammar stays applied to the whole vocabulary")
        return False
    if getattr(stock, "grammar_checked", False):
        return True

    def init_sampler(self: Any, *args: Any, grammar: Any = None, **kwargs: Any) -> Any:
        chain = stock(self, *args, grammar=None, **kwargs)
        if grammar is None:
            return chain
        return GrammarCheckedSampler(chain, self._model.vocab, grammar, self._n_vocab)

    init_sampler.grammar_checked = True  # type: ignore[attr-defined]
    Llama._init_sampler = init_sampler  # type: ignore[method-assign]
    return True


def main() -> None:
    """Run llama-cpp-python's server (its own command line) with the grammar checked first."""
    install()
    runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
