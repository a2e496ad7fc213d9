"""Persistence: Chroma chunks and document registry, one pair per collection."""
