"""What a fresh `perspectives ask` loads before it answers (no timing asserts: see bench/run.py).

A fresh process on an unchanged index must not import the web app (gradio), plotting
(matplotlib), pandas, the Chroma client (the vector snapshot answers) or, with the stub
model, llama.cpp: each costs start-up time and memory on every question asked from a shell.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
NOT_ON_THE_ASK_PATH = ("gradio", "matplotlib", "pandas", "chromadb", "llama_cpp")

PROBE = """
import json, sys
from app.cli.main import cli
try:
    cli.main(["ask", "How did US export controls affect DeepSeek?", "--json"], standalone_mode=False)
except SystemExit as exc:
    assert not exc.code, exc.code
print(json.dumps(sorted(m for m in sys.modules if "." not in m)), file=sys.stderr)
"""


def _fresh_ask(seeds: Path, data: Path) -> tuple[dict, set[str]]:
    env = {**os.environ, "PERSPECTIVES_DATA_DIR": str(data), "PERSPECTIVES_SEEDS": str(seeds), "PERSPECTIVES_MODEL": "stub",
           "PYTHONPATH": str(PROJECT)}
    r = subprocess.run([sys.executable, "-c", PROBE], env=env, cwd=PROJECT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout), set(json.loads(r.stderr.strip().splitlines()[-1]))


def test_a_fresh_ask_on_an_unchanged_index_imports_nothing_heavy(seeds_copy, tmp_path):
    first, modules = _fresh_ask(seeds_copy, tmp_path / "d")  # builds the index: Chroma is needed
    assert "chromadb" in modules
    again, modules = _fresh_ask(seeds_copy, tmp_path / "d")
    assert again["answer"] == first["answer"] and again["passages"] == first["passages"]
    assert sorted(modules & set(NOT_ON_THE_ASK_PATH)) == []
