"""Passages stored: the embedding model and the Chroma store (embedded or server)."""
