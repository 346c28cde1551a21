"""Model backends behind one small interface (`base.Model`).

`load_model("stub")` gives the deterministic stub, `load_model(None)` the bundled default
GGUF, `load_model("path/to/model.gguf")` any GGUF file through llama.cpp.
"""

from .base import GenerationStats, Model, load_model  # noqa: F401
