"""Retrieval: dense and BM25 rankings fused, filtered by metadata and time."""
