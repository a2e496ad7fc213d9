"""The indexes a search reads: embeddings (MiniLM, memory-mapped) and the tantivy BM25 index."""
