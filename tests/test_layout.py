"""The house rules that keep the code readable: one-way imports, and a package that installs.

- import-linter checks the layer contract in pyproject.toml (no import points upwards, so no
  cycles between the layers).
- A wheel built from this checkout, installed into a fresh venv, answers from an empty folder:
  seeds and prompts ship inside the package.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent


def test_imports_follow_the_layers():
    exe = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run([str(exe)], cwd=PROJECT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "Contracts: 1 kept, 0 broken" in proc.stdout


def test_the_wheel_installs_and_answers_from_an_empty_folder(tmp_path):
    dist = tmp_path / "dist"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(dist), str(PROJECT)],
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr[-3000:]
    wheel = next(dist.glob("perspectives-*.whl"))
    # The venv sees the already-installed dependencies (no downloads, no llama.cpp rebuild) but
    # gets its own, non-editable copy of our package.
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(env_dir)
    py = env_dir / "bin" / "python"
    # --ignore-installed: the venv also sees the editable install outside it; ours must be the wheel.
    # Without PYTHONPATH: a checkout on it (as when the tests run from a worktree) holds the
    # build's perspectives.egg-info, and pip would take the package as already installed.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PERSPECTIVES_") and k != "PYTHONPATH"}
    inst = subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "--no-index", "--ignore-installed", str(wheel)],
                          capture_output=True, text=True, timeout=300, env=env)
    assert inst.returncode == 0, inst.stderr[-3000:]
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    env["PERSPECTIVES_DATA_DIR"] = str(tmp_path / "data")
    proc = subprocess.run([str(env_dir / "bin" / "perspectives"), "ask", "Who deserves credit for DeepSeek?", "--model", "stub", "--json"],
                          cwd=empty, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout)
    assert len(result["perspectives"]) == 5
    where = subprocess.run([str(py), "-c", "import app, sys; print(app.__file__)"], cwd=empty, env=env, capture_output=True, text=True)
    assert "site-packages" in where.stdout and str(PROJECT) not in where.stdout
