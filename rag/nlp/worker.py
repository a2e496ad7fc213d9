"""One annotation worker process: `python -m rag.nlp.worker [--noun-chunks]`.

It loads the pipeline once, then reads requests from stdin and writes answers to stdout, each a
pickle: (texts, doc versions, record version, batch size) -> ("ok", [DocAnnotation, ...]) or
("error", why). It exits when stdin closes, so it never outlives the process that started it. It never imports
torch (see below), so its records equal the writing process's (tests/nlp/test_annotation_workers.py).
Only rag/nlp/workers.py speaks to it.
"""

from __future__ import annotations

import pickle
import sys

# spaCy's small pipeline runs on numpy; thinc imports torch only if it can, which would more
# than double the worker's memory (322 MB -> 141 MB resident without it) for nothing it uses.
sys.modules["torch"] = None  # type: ignore[assignment]

from rag.nlp import model  # noqa: E402
from rag.nlp.annotate import annotate_texts  # noqa: E402


def main() -> None:
    noun_chunks = "--noun-chunks" in sys.argv[1:]
    requests, answers = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing printed by a library may corrupt the answer stream
    model.load(noun_chunks)
    while True:
        try:
            texts, keys, version, batch_size = pickle.load(requests)
        except EOFError:
            return
        try:
            answer: tuple[str, object] = ("ok", annotate_texts(texts, keys, version, noun_chunks, batch_size))
        except Exception as e:  # noqa: BLE001 - reported to the caller, which annotates in-process
            answer = ("error", f"{type(e).__name__}: {e}")
        pickle.dump(answer, answers, protocol=pickle.HIGHEST_PROTOCOL)
        answers.flush()


if __name__ == "__main__":
    main()
