"""Answers built on evidence: ask, compare, stance, citation checks and prompt templates."""
