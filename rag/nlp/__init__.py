"""The NLP layer: spaCy's news-trained English pipeline, run once per article at ingest.

`model` loads the pinned pipeline, `records` is the typed, versioned annotation of an article,
`annotate` makes it from spaCy's parse, `service` serves it at query time (stored in Chroma
beside the chunks, cached in memory, never recomputed per query).
"""
