"""A model worker that dies with SIGSEGV when started with llama.cpp's extra buffers, as
llama.cpp's AMX path did on some CPUs; otherwise the real worker (app/llm/worker_main.py).
Every start is logged to the file named by CRASHING_WORKER_LOG (one JSON spec per line)."""

import json
import os
import signal
import sys

sys.path.insert(0, os.getcwd())  # the worker runs from the folder that holds `app`

spec = json.loads(sys.argv[2])
with open(os.environ["CRASHING_WORKER_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps(spec) + "\n")
if spec["options"]["extra_bufts"]:
    os.kill(os.getpid(), signal.SIGSEGV)

from app.llm.worker_main import main  # noqa: E402

main(sys.argv[1:])
