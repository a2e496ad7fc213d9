"""The native MiniLM encoder computes what sentence-transformers computes, from the same files."""

from __future__ import annotations

import json

import numpy as np

from tests.conftest import ROOT


def test_native_minilm_equals_sentence_transformers() -> None:
    from rag.index.embed import SentenceTransformerEmbedder, bundled_model_dir
    from rag.index.minilm import MiniLM, is_plain_bert

    assert is_plain_bert(bundled_model_dir())
    seeds = sorted((ROOT / "seeds").glob("*.txt"))
    texts = [p.read_text(encoding="utf-8")[:4000] for p in seeds]  # long: truncated at 256 tokens
    texts += ["What did Oman say?", "", "x", "Déjà vu — naïve café ’quotes’ 中文 🎉", json.dumps({"a": 1})]
    native = MiniLM(bundled_model_dir(), max_seq_length=256, batch_size=3).embed(texts)
    reference = SentenceTransformerEmbedder(batch_size=3).embed(texts)
    assert native.shape == reference.shape == (len(texts), 384)
    assert float(np.abs(native - reference).max()) < 1e-5
    assert np.allclose(np.linalg.norm(native, axis=1), 1.0, atol=1e-5)


def test_a_model_that_is_not_plain_bert_goes_through_sentence_transformers(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from rag.index.minilm import is_plain_bert

    (tmp_path / "config.json").write_text(json.dumps({"model_type": "mpnet", "hidden_act": "gelu"}))
    assert not is_plain_bert(tmp_path)
