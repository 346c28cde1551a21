"""Shared fixtures. All user state goes to a temporary directory; nothing is downloaded.

- Every test runs with PERSPECTIVES_DATA_DIR pointing at its own tmp dir and with the
  Hugging Face hub switched offline.
- `stub_pipe` is a session-wide pipeline over a copy of the seeds with the stub model
  (read-only use!); `make_pipe` builds a fresh one over any folder.
- `real_model` loads the bundled GGUF once per session, in this process (the backend's own
  tests read its internals); `worker_model` loads it in a worker process, as the app does.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.pipeline import build_pipeline
from app.settings import Settings

PROJECT = Path(__file__).resolve().parent.parent
SEEDS = PROJECT / "seeds"


def pytest_configure(config):
    """Hypothesis keeps caches and failing-example patches in its home dir: not in the work tree."""
    import tempfile

    from hypothesis.configuration import set_hypothesis_home_dir

    set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "perspectives-hypothesis")


@pytest.fixture(autouse=True)
def _isolated_state(tmp_path, monkeypatch):
    monkeypatch.setenv("PERSPECTIVES_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("ANONYMIZED_TELEMETRY", "False")
    for var in ("PERSPECTIVES_MODEL", "PERSPECTIVES_SEEDS", "PERSPECTIVES_CHROMA_URL", "PERSPECTIVES_LLM_URL"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def seeds_copy(tmp_path) -> Path:
    dst = tmp_path / "seeds"
    shutil.copytree(SEEDS, dst)
    return dst


@pytest.fixture(scope="session")
def stub_pipe(tmp_path_factory):
    root = tmp_path_factory.mktemp("shared")
    seeds = root / "seeds"
    shutil.copytree(SEEDS, seeds)
    return build_pipeline(Settings(data_dir=root / "data", seeds=seeds, model="stub"))


@pytest.fixture
def make_pipe(tmp_path):
    def make(seeds: Path, model: str = "stub", **kw):
        return build_pipeline(Settings(data_dir=kw.pop("data_dir", tmp_path / "data"), seeds=seeds, model=model, **kw))

    return make


@pytest.fixture(scope="session")
def real_model():
    from app.llm import load_model

    return load_model("default", n_ctx=2048, process="inline")


@pytest.fixture(scope="session")
def worker_model(tmp_path_factory):
    from app.llm import load_model

    model = load_model("default", n_ctx=2048, cache_dir=tmp_path_factory.mktemp("worker-models"))
    yield model
    model.close()
