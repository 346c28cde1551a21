"""Which llama.cpp configurations have been shown to work on this CPU, per model.

llama.cpp's "extra buffer types" (AMX tiles, repacked weights) are its fast CPU paths, and
its riskiest: on a VM that advertises AMX without enabling it they die with SIGILL, and on
kernels that do enable AMX they segfaulted on some prompt shapes. So a configuration is used
only once a worker has loaded the model in it and decoded a short and a long prompt
(worker_main.py, PROBE_PROMPTS). The verdict is kept in `<cache dir>/llama-probe.json`, keyed
by everything that could change it: the llama.cpp build, the CPU's flags and the model file.
A configuration that crashed, in the probe or later, is recorded as unsafe and not tried again.
Not here: starting workers (worker.py).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from app.cachefile import save_json
from app.llm.llama import gguf_fingerprint

FILE_NAME = "llama-probe.json"


def cpu_flags() -> set[str]:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def _build_id() -> str:
    """The installed llama.cpp: llama-cpp-python's version and its shared libraries' sizes and
    times (a rebuild with other CMAKE_ARGS keeps the version but changes the files)."""
    import importlib.metadata
    import importlib.util

    try:
        version = importlib.metadata.version("llama_cpp_python")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    spec = importlib.util.find_spec("llama_cpp")
    libs = []
    if spec and spec.origin:
        lib_dir = Path(spec.origin).parent / "lib"
        for lib in sorted(lib_dir.glob("*.so*")) if lib_dir.is_dir() else []:
            st = lib.stat()
            libs.append(f"{lib.name}:{st.st_size}:{int(st.st_mtime)}")
    return f"{version}|{'|'.join(libs)}"


def probe_key(model_path: Path) -> str:
    flags = hashlib.sha1(" ".join(sorted(cpu_flags())).encode()).hexdigest()[:12]
    build = hashlib.sha1(_build_id().encode()).hexdigest()[:12]
    return f"{model_path.name}:{gguf_fingerprint(model_path)}|build:{build}|cpu:{flags}"


class ProbeVerdicts:
    """The verdicts for one model on this machine; in memory only when there is no cache dir."""

    def __init__(self, model_path: Path, cache_dir: Path | None):
        self.key = probe_key(Path(model_path))
        self.file = Path(cache_dir) / FILE_NAME if cache_dir else None
        self._all = self._read()

    @staticmethod
    def describe(extra_bufts: bool) -> str:
        return "its AMX and repacked-weight buffers" if extra_bufts else "plain CPU buffers"

    def candidates(self, forced: bool | None) -> list[bool]:
        """Configurations to try, fastest first, leaving out those known to crash. The safe one
        (no extra buffers) is always last, even when the fast one was asked for."""
        wanted = [True, False] if forced in (None, True) else [False]
        return [extra for extra in wanted if self.verdict(extra) is not False]

    def verdict(self, extra_bufts: bool) -> bool | None:
        """True: shown to work; False: crashed; None: not tried."""
        return self._all.get(self.key, {}).get(str(extra_bufts).lower())

    def known(self, extra_bufts: bool) -> bool:
        return self.verdict(extra_bufts) is True

    def record(self, extra_bufts: bool, works: bool) -> None:
        if self.verdict(extra_bufts) is works:
            return
        self._all = self._read()  # another process may have written since
        self._all.setdefault(self.key, {})[str(extra_bufts).lower()] = works
        self._write()

    def _read(self) -> dict:
        if self.file is None or not self.file.is_file():
            return getattr(self, "_all", {})
        try:
            data = json.loads(self.file.read_text(encoding="utf-8"))
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}  # a damaged cache only costs a new probe

    def _write(self) -> None:
        if self.file is None:
            return
        save_json(self.file, self._all, indent=1, sort_keys=True)  # a read-only data dir costs a probe per start, nothing else
