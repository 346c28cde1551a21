"""Evidence out: per-article hybrid search over passages and their sentences."""
