"""all-MiniLM-L6-v2 as a few torch operations over its safetensors weights.

The same computation as sentence-transformers (BERT encoder, mean pooling over real tokens,
L2 normalisation; checked equal to 1e-5 in tests/rag/test_embed.py), without importing
`sentence-transformers` and `transformers`, which took 5.2 s of every start here while the
model itself loads in 0.7 s. Other local models still go through sentence-transformers.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np


def is_plain_bert(path: Path) -> bool:
    """A BERT encoder with mean pooling and normalisation: what this module computes."""
    try:
        config = json.loads((path / "config.json").read_text())
        pooling = json.loads((path / "1_Pooling" / "config.json").read_text())
        modules = json.loads((path / "modules.json").read_text())
    except (OSError, ValueError):
        return False
    return (
        config.get("model_type") == "bert"
        and config.get("hidden_act") == "gelu"
        and config.get("position_embedding_type", "absolute") == "absolute"
        and pooling.get("pooling_mode_mean_tokens") is True
        and not any(v for k, v in pooling.items() if k.startswith("pooling_mode_") and k != "pooling_mode_mean_tokens")
        and [m.get("type", "").rsplit(".", 1)[-1] for m in modules] == ["Transformer", "Pooling", "Normalize"]
        and (path / "model.safetensors").exists()
        and (path / "tokenizer.json").exists()
    )


class MiniLM:
    """Encodes texts into normalised sentence embeddings on the CPU."""

    def __init__(self, path: Path, max_seq_length: int = 256, batch_size: int = 32):
        import torch
        from safetensors.torch import load_file
        from tokenizers import Tokenizer

        config = json.loads((path / "config.json").read_text())
        self._layers = int(config["num_hidden_layers"])
        self._heads = int(config["num_attention_heads"])
        self._eps = float(config.get("layer_norm_eps", 1e-12))
        self.dim = int(config["hidden_size"])
        self._w = {k: v.float() for k, v in load_file(str(path / "model.safetensors")).items()}
        self._tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=max_seq_length)
        self._tokenizer.enable_padding(pad_id=int(config.get("pad_token_id", 0)), pad_token="[PAD]")
        self._batch_size = batch_size
        self._torch = torch

    def _layer_norm(self, x, name: str):  # type: ignore[no-untyped-def]
        w = self._w
        return self._torch.nn.functional.layer_norm(x, (self.dim,), w[f"{name}.weight"], w[f"{name}.bias"], self._eps)

    def _linear(self, x, name: str):  # type: ignore[no-untyped-def]
        return self._torch.nn.functional.linear(x, self._w[f"{name}.weight"], self._w[f"{name}.bias"])

    def _encode(self, ids, mask):  # type: ignore[no-untyped-def]
        torch, w = self._torch, self._w
        batch, length = ids.shape
        positions = torch.arange(length).unsqueeze(0)
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][positions]
            + w["embeddings.token_type_embeddings.weight"][torch.zeros_like(ids)]
        )
        x = self._layer_norm(x, "embeddings.LayerNorm")
        head = self.dim // self._heads
        additive = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        for i in range(self._layers):
            p = f"encoder.layer.{i}"

            def heads(t):  # type: ignore[no-untyped-def]
                return t.view(batch, length, self._heads, head).transpose(1, 2)

            q = heads(self._linear(x, f"{p}.attention.self.query"))
            k = heads(self._linear(x, f"{p}.attention.self.key"))
            v = heads(self._linear(x, f"{p}.attention.self.value"))
            attended = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=additive)
            context = attended.transpose(1, 2).reshape(batch, length, self.dim)
            x = self._layer_norm(
                self._linear(context, f"{p}.attention.output.dense") + x, f"{p}.attention.output.LayerNorm"
            )
            inner = torch.nn.functional.gelu(self._linear(x, f"{p}.intermediate.dense"))
            x = self._layer_norm(self._linear(inner, f"{p}.output.dense") + x, f"{p}.output.LayerNorm")
        weights = mask.unsqueeze(-1).float()
        pooled = (x * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, p=2, dim=1)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        torch = self._torch
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        # Similar lengths together, as sentence-transformers batches, so padding stays short.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        with torch.inference_mode():
            for start in range(0, len(order), self._batch_size):
                chunk = order[start : start + self._batch_size]
                encoded = self._tokenizer.encode_batch([texts[i] for i in chunk])
                ids = torch.tensor([e.ids for e in encoded], dtype=torch.long)
                mask = torch.tensor([e.attention_mask for e in encoded], dtype=torch.long)
                out[chunk] = self._encode(ids, mask).numpy()
        return out
