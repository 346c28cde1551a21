"""Perspectives: ask questions about a set of articles and see how each article's view differs.

Data flow: corpus -> chunks -> index -> retrieve -> perspectives -> render, with the CLI,
the Gradio UI and batch files as thin shells on top (see DESIGN in the README).
"""

__version__ = "0.1.0"
