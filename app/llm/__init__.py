"""The model layer: one interface (base), its backends (llama, stub, openai_http), a loader."""

from app.llm.base import GenerationStats, Model  # noqa: F401
from app.llm.loader import load_model  # noqa: F401
