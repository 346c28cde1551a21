"""Best-effort JSON caches in the data dir: written whole or not at all.

A cache never decides an answer, so a read-only or full disk only costs the work again next
time: the write is skipped, never raised. The file is written beside its place under a name
with the process id and moved over it, so a reader in another process sees the old file or the
new one, never half of one.
"""

from __future__ import annotations

import json
import os
from pathlib import Path


def save_json(path: Path, data, **dumps) -> None:
    """Write `data` as JSON to `path` atomically; on OSError, leave `path` as it was."""
    path = Path(path)
    tmp = path.with_name(f"{path.name}.tmp{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(data, **dumps), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:  # the folder itself could not be made
            pass
