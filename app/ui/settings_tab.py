"""The Settings tab: this user's retrieval and sampling, and the model for everyone.

The widgets are derived from the setting declarations (app/settings.py: title, help,
bounds), never written out here. Passages per article and temperature apply to the user's
own requests; a model change applies to the process and loads the model once, with the
same options the CLI uses (`pipeline.load_model_for`: for "default", the Q8_0 copy under
the data dir). For safety the web app loads only models under <data dir>/models, the
bundled one, the stub, or the one it was started with.
Not here: validating values (Settings does), loading models (app/llm).
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from app.errors import InputError, PerspectivesError
from app.pipeline import Pipeline, load_model_for
from app.settings import Settings, setting_info
from app.ui import html as H
from app.ui.shared import model_queue, by_name, header_html, warn

BUILT_IN_MODELS = ("default", "stub")


class SettingsEvents:
    """The tab's events over one shared pipeline."""

    def __init__(self, pipe: Pipeline):
        self.pipe = pipe
        self.startup_model = pipe.settings.model

    def apply(self, model_spec, k, temperature) -> dict:
        """Validate the settings; load a new model once if it changed."""
        try:
            mine = self.pipe.settings.with_(k=k, temperature=temperature)
            spec = (model_spec or "").strip() or "default"
            note = self._switch_model(spec) if spec != self.pipe.settings.model else ""
        except PerspectivesError as exc:
            warn(str(exc))
            return {"message": f"⚠ {H.md_text(exc)}", "header": header_html(self.pipe)}
        return {"message": f"✓ Settings OK: {mine.k} passages per article, temperature {mine.temperature:g}.{note}",
                "header": header_html(self.pipe)}

    def _switch_model(self, spec: str) -> str:
        if spec not in (*BUILT_IN_MODELS, self.startup_model):
            self._check_model_file(Path(spec).expanduser())
        # A model picked here runs in this process, also when the app started with a model server.
        settings = self.pipe.settings.with_(model=spec, llm_url=None)
        self.pipe.set_model(load_model_for(settings))
        self.pipe.settings = settings
        return f" Model **{H.md_text(spec)}** loaded; it stays loaded for everyone using this app."

    def _check_model_file(self, path: Path) -> None:
        models_dir = self.pipe.settings.data_dir / "models"
        if not path.resolve().is_relative_to(models_dir.resolve()):
            # Anyone who can open the page could otherwise make the server read any file (and
            # learn which files exist) through the model box.
            raise InputError(f"For safety the web app only loads models from {models_dir} (copy the .gguf there) or the one it was "
                             "started with (perspectives serve --model PATH). 'default' is the bundled SmolLM2-135M.")
        if not path.is_file():
            raise InputError(f"Model file not found: {path}. Give the path to a .gguf file, or 'default' for the bundled SmolLM2-135M.")


# -- layout and wiring -------------------------------------------------------------------------
def widgets(settings: Settings) -> dict:
    """The settings widgets, not yet rendered: the chat and compare events read them, and
    `layout` renders them in the Settings tab. Labels, help and bounds are the declarations'."""
    model, k, temperature = setting_info("model"), setting_info("k"), setting_info("temperature")
    return {
        "model": gr.Textbox(label=model.title, value=settings.model, render=False, elem_id="pv-model",
                            info=f"{model.help} Here: {', '.join(BUILT_IN_MODELS)}, or a .gguf file under <data dir>/models."),
        "k": gr.Slider(k.lo, k.hi, value=settings.k, step=1, label=k.title, info=k.help, render=False),
        "temperature": gr.Slider(temperature.lo, temperature.hi, value=settings.temperature, step=0.05, label=temperature.title,
                                 info=temperature.help, render=False),
    }


def layout(ui: dict) -> None:
    gr.Markdown("Passages and temperature apply to your own questions. The model applies to everyone using this app and loads once.")
    for name in ("model", "k", "temperature"):
        ui[name].render()
    ui["apply"] = gr.Button("Apply", variant="primary", elem_id="pv-apply")
    ui["message"] = gr.Markdown(elem_id="pv-settings-msg")


def wire(pipe: Pipeline, ui: dict, header) -> None:
    fn, outputs = by_name(SettingsEvents(pipe).apply, {"message": ui["message"], "header": header})
    ui["apply"].click(fn, inputs=[ui["model"], ui["k"], ui["temperature"]], outputs=outputs, api_name="settings", **model_queue(pipe))
