"""The Gradio web app: chat, compare and corpus tabs."""
