"""Question analysis: what a question asks, names and dates (before anything is retrieved)."""
