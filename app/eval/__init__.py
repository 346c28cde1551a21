"""Measurements on the dev set: answers and retrieval (answers.py), stance labels (stance.py)."""
