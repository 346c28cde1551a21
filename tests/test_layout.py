"""The house rules that keep the code readable: one-way imports, and a package that installs.

- import-linter checks the layer contract in pyproject.toml (no import points upwards, so no
  cycles between the layers).
- A wheel built from this checkout, installed into a fresh venv, answers from an empty folder:
  seeds and prompts ship inside the package. This holds whether the tests run from a venv (as
  the README has it), from the system Python, or in CI.
- CI (`.ci/run`) runs the README's test command word for word, in a fresh venv.
"""

from __future__ import annotations

import json
import os
import re
import site
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


def outer_site_packages() -> list[str]:
    """The site-packages folders this test runs with, where the dependencies are installed."""
    dirs = [*site.getsitepackages(), *([site.getusersitepackages()] if site.ENABLE_USER_SITE else [])]
    return [d for d in dict.fromkeys(dirs) if os.path.isdir(d)]


def venv_seeing(env_dir: Path, site_dirs: list[str]) -> Path:
    """A fresh venv whose python also sees `site_dirs`, but runs none of their .pth hooks; its python.

    Not `system_site_packages=True`: from inside a venv that gives the *base* interpreter's
    site-packages, not the venv the dependencies were installed into. A .pth file of plain paths
    works from a venv, the system Python and CI alike, and a plain path adds the folder without
    processing the .pth files inside it, so the editable install's hook (which maps `app` to the
    checkout) stays off: `app` can only come from what is installed into this venv.
    """
    venv.EnvBuilder(with_pip=False).create(env_dir)
    py = env_dir / "bin" / "python"
    purelib = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    (Path(purelib) / "outer-site-packages.pth").write_text("".join(f"{d}\n" for d in site_dirs), encoding="utf-8")
    return py


def test_the_wheel_installs_and_answers_from_an_empty_folder(tmp_path):
    dist = tmp_path / "dist"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(dist), str(PROJECT)],
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr[-3000:]
    wheel = next(dist.glob("perspectives-*.whl"))
    # The venv sees the already-installed dependencies (no downloads, no llama.cpp rebuild) but
    # gets its own, non-editable copy of our package.
    env_dir = tmp_path / "venv"
    py = venv_seeing(env_dir, outer_site_packages())
    # --ignore-installed: the venv also sees the editable install's metadata outside it; ours must be the wheel.
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
    where = subprocess.run([str(py), "-c", "import app; print(app.__file__)"], cwd=empty, env=env, capture_output=True, text=True)
    assert Path(where.stdout.strip()).is_relative_to(env_dir), where.stdout + where.stderr  # the wheel's copy, not the checkout


def test_ci_runs_the_readme_test_command_in_a_fresh_venv():
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"^# 2\. run the tests.*\n(.+)$", readme, re.M)
    assert found, "README: no '# 2. run the tests' line followed by the command"
    command = found.group(1).strip()
    assert command.startswith("python3.11 -m venv .venv && . .venv/bin/activate && ") and command.endswith("pytest"), command
    ci = [line.strip() for line in (PROJECT / ".ci" / "run").read_text(encoding="utf-8").splitlines()]
    assert command in ci, f".ci/run does not run the README's test command: {command}"
    assert ci.index("rm -rf .venv") < ci.index(command)  # fresh: nothing left from an earlier local run
    assert ".venv/" in (PROJECT / ".gitignore").read_text(encoding="utf-8").split()
