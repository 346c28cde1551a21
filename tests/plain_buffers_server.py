"""`python -m llama_cpp.server` with llama.cpp's extra buffer types off (AMX, repacked weights),
which its settings cannot turn off: on CPUs where they segfault (these CI machines), the
model server of tests/test_servers.py would die on its first reply. Arguments as for
llama_cpp.server."""

import os
import runpy
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from app.llm.llama import _model_params_override  # noqa: E402

with _model_params_override(use_extra_bufts=False):
    sys.argv = ["llama_cpp.server", *sys.argv[1:]]
    runpy.run_module("llama_cpp.server", run_name="__main__")
