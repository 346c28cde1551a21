"""How many threads llama.cpp should use right now: the cores other work leaves free.

llama.cpp's worker threads spin while they wait for each other, so one thread more than
there are free cores collapses speed (measured on a busy 2-core VM: 2.0 tok/s with 2
threads against 14.7 with 1; models.md). The machine's load changes while a process runs
(a web app lives for hours), so the choice is made again before every model call:

- at load time (and where /proc is missing), from the 1-minute load average;
- before each call, from /proc/stat over the time since the previous reading (the first
  reading is taken when the chooser is made, at model load), the larger of two estimates of the cores other work
  wants: the CPU time all processes used since the previous call minus what this process
  used (its own llama.cpp threads must not count as "other work", or it would talk itself
  down to one thread after its first busy minute), and the tasks runnable right now minus
  this process's own running threads (usage alone misses work that our spinning threads
  starved of CPU).

Not here: setting the threads on a context (llama.py), timing anything.
"""

from __future__ import annotations

import os
import time
from typing import Callable

MIN_WINDOW_S = 0.25  # shorter windows are noise: keep the previous choice


def usable_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def free_cores(cores: int, busy: float) -> int:
    """Threads for `cores` usable cores when other work keeps `busy` of them busy (at least 1)."""
    return max(1, min(cores, int(cores - busy + 0.5)))


def auto_threads() -> int:
    """The choice at load time: usable cores minus the 1-minute load average."""
    cores = usable_cores()
    try:
        busy = os.getloadavg()[0]
    except (AttributeError, OSError):  # not available on this platform
        return cores
    return free_cores(cores, busy)


def read_proc_stat() -> tuple[float, int] | None:
    """(CPU seconds all processes used since boot, tasks runnable now), or None off Linux."""
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            lines = fh.read().splitlines()
        fields = [int(x) for x in lines[0].split()[1:]]
        running = next(int(line.split()[1]) for line in lines if line.startswith("procs_running"))
    except (OSError, ValueError, IndexError, StopIteration):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    busy = sum(fields[:8]) - idle  # user nice system idle iowait irq softirq steal (guest is inside user)
    return busy / os.sysconf("SC_CLK_TCK"), running


def read_own() -> tuple[float, int]:
    """(CPU seconds this process used, its threads running now, at least the caller)."""
    t = os.times()
    running = 0
    try:
        for tid in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{tid}/stat", encoding="ascii", errors="replace") as fh:
                running += fh.read().rpartition(")")[2].split()[0] == "R"
    except (OSError, IndexError):
        pass
    return t.user + t.system, max(1, running)


class ThreadChooser:
    """Call it before each model call; it returns the thread count to use for that call.

    `fixed` (the `threads` setting) is returned as is. The readers are parameters so the
    choice can be tested with made-up readings.
    """

    def __init__(self, fixed: int | None = None, *, cores: Callable[[], int] = usable_cores,
                 machine: Callable[[], tuple[float, int] | None] = read_proc_stat,
                 own: Callable[[], tuple[float, int]] = read_own, clock: Callable[[], float] = time.monotonic,
                 fallback: Callable[[], int] = auto_threads):
        self.fixed = fixed
        self._cores, self._machine, self._own, self._clock, self._fallback = cores, machine, own, clock, fallback
        self._last: tuple[float, float, float] | None = None  # (when, all CPU seconds, own CPU seconds)
        self.threads = fixed or 0
        if not fixed:
            self._read()

    def _read(self):
        """Take a reading; return the previous one and this one (None where unavailable)."""
        machine = self._machine()
        if machine is None:
            return None, None, None
        own = self._own()
        last, self._last = self._last, (self._clock(), machine[0], own[0])
        return last, machine, own

    def __call__(self) -> int:
        if self.fixed:
            return self.fixed
        if self._last is not None and self._clock() - self._last[0] < MIN_WINDOW_S and self.threads:
            return self.threads  # keep the window (and the choice) until it is long enough
        last, machine, own = self._read()
        if machine is None or last is None:
            self.threads = self._fallback()
            return self.threads
        wall = self._last[0] - last[0]
        used = ((machine[0] - last[1]) - (own[0] - last[2])) / wall if wall >= MIN_WINDOW_S else 0.0  # cores others used
        wanted = machine[1] - own[1]  # tasks of other processes runnable right now
        self.threads = free_cores(self._cores(), max(used, wanted, 0.0))
        return self.threads
