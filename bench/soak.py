"""Soak test: the web app with the stub model under 8 sessions for a long time, watching for leaks.

    python bench/soak.py                          # 30 minutes, 8 sessions, a sample every minute
    python bench/soak.py --minutes 3 --sample-s 30 --out /tmp/soak   # what tests/test_soak.py runs

What it does (all state in a temporary folder, loopback only, bounded by --minutes):
1. starts `perspectives serve --model stub` on 127.0.0.1 (bench/load.py's helpers), with its
   temporary folder (TMPDIR, so `perspectives-downloads/`) and Gradio's upload/download cache
   (GRADIO_TEMP_DIR) inside the soak's own folder, so their sizes can be measured;
2. runs --sessions users at once, each its own gradio_client session, taking turns to ask a
   question (`/ask`, conversation carried over, a new conversation every few questions as a
   user would start one) and to compare a topic (`/compare`, which writes download files);
3. runs them in two phases: a warm-up (--warmup-s, default 60: caches fill, Gradio's routes
   and the stub's first calls settle), then the rest of --minutes with 8 new sessions (users
   come and go); after each phase the sessions close and, over 20 idle seconds, the server's
   RSS and its fewest open file descriptors are measured: "after warm-up" and "end". Each
   phase also lasts until every session has made MIN_TURNS calls, so on a busy machine the
   phases take longer instead of measuring a half-done warm-up;
4. every --sample-s seconds (default 60) records the server's RSS (with any child processes),
   open fds (now, and the fewest and most seen since the last sample, counted every second),
   the sizes of the temp and Gradio folders, and the calls made and failed so far;
5. stops the server (SIGINT).

Pass: 0 failed calls; idle RSS at the end less than 10% above the most the server held in the
warm-up (idle after it, or any sample during it); no fd growth (idle fds at the end not above
idle fds after the warm-up); the server never died and logged no traceback. Measuring idle,
with the same number of sessions gone before each measurement, compares like with like: fds
held by requests in flight are not leaks. Idle RSS alone is not a steady baseline: the
allocator hands memory back or keeps it as it happens (on a busy machine, idle after the
warm-up was 23 MB below the sample taken under load 30 s before), so memory the server
already held once in the warm-up is not counted as growth.
Speed is not judged: a slow call is not a failed one. A call counts as failed only when it
errs or has had no answer for HANG_S seconds (a hang); the server gets load.STOP_S to stop.
Temp folder sizes are reported, not judged: download files are kept for a day by design
(SECURITY.md).
Writes bench/results/<timestamp>-soak-stub.json (or --out), prints a table; exit code 1 on failure.
Not here: latency under load (bench/load.py), the real model (the soak is about the app, not llama.cpp).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load  # noqa: E402 - bench/load.py: server start/stop, one /ask call, clients

ROOT = load.ROOT
TOPICS = ["computing power", "united states", "chinese government", "education system"]
TURNS_PER_CONVERSATION = 4
RSS_GROWTH_LIMIT = 0.10
IDLE_S = 20  # idle fds = the fewest open over this many seconds with no session (closing connections linger a few s)
MIN_TURNS = 8  # calls each session makes in each phase, however long they take (RSS levels off after ~6 here)
HANG_S = 300  # a call with no answer after this long is hung, and counts as failed


# --- measuring the server ------------------------------------------------------------

def folder_bytes(path: Path) -> int:
    total = 0
    for dirpath, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                pass  # removed while we walked
    return total


class Probe:
    """Samples one server process: fds every second in a thread, the rest on request."""

    def __init__(self, pid: int, folders: dict[str, Path]):
        import psutil

        self.proc = psutil.Process(pid)
        self.folders = folders
        self.fd_window: list[int] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._watch_fds, daemon=True)
        self._thread.start()

    def fds(self) -> int:
        return self.proc.num_fds()

    def _watch_fds(self) -> None:
        while not self._stop.wait(1.0):
            try:
                n = self.fds()
            except Exception:  # noqa: BLE001 - the server went away; the sampler reports that
                return
            with self._lock:
                self.fd_window.append(n)

    def open_kinds(self) -> dict[str, int]:
        """What the open fds are (files, sockets, pipes...), to tell a leak from a pool."""
        kinds: dict[str, int] = {}
        for fd in os.listdir(f"/proc/{self.proc.pid}/fd"):
            try:
                target = os.readlink(f"/proc/{self.proc.pid}/fd/{fd}")
            except OSError:
                continue
            kind = target.split(":", 1)[0] if ":" in target and not target.startswith("/") else target
            kinds[kind] = kinds.get(kind, 0) + 1
        return kinds

    def idle(self, t: float) -> dict:
        """RSS and the fewest open fds over IDLE_S seconds without sessions, and what those fds are."""
        fewest, kinds = None, {}
        for _ in range(int(IDLE_S)):
            time.sleep(1)
            n = self.fds()
            if fewest is None or n < fewest:
                fewest, kinds = n, self.open_kinds()
        return {"t_s": round(t + IDLE_S, 1), "rss_mb": round(self.rss() / 2**20, 1), "fds": fewest, "open": kinds}

    def rss(self) -> int:
        procs = [self.proc, *self.proc.children(recursive=True)]
        return sum(p.memory_info().rss for p in procs if p.is_running())

    def sample(self, t: float, calls: dict) -> dict:
        with self._lock:
            window, self.fd_window = self.fd_window, []
        now = self.fds()
        window = window or [now]
        return {"t_s": round(t, 1), "rss_mb": round(self.rss() / 2**20, 1), "fds": now, "fds_min": min(window),
                "fds_max": max(window), **{f"{k}_kb": round(folder_bytes(p) / 1024, 1) for k, p in self.folders.items()},
                "calls": calls["calls"], "failed": calls["failed"]}

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


# --- the users -----------------------------------------------------------------------

def compare_once(client, topic: str) -> dict:
    """One `/compare` call; a failure is an exception, a ⚠ message, no matrix rows or no answer in HANG_S."""
    load.settle(client)
    t0 = time.perf_counter()
    rec = {"kind": "compare", "topic": topic, "ok": False, "error": None}
    job = None
    try:
        job = client.submit(topic, "", load.K, load.TEMPERATURE, api_name="/compare")
        out = job.result(timeout=HANG_S)
    except TimeoutError:
        if job is not None:
            job.cancel()
        rec["error"] = f"no answer after {HANG_S} s (hung)"
        return rec
    except Exception as exc:  # noqa: BLE001 - any failure of the call is a finding
        rec["error"] = f"{type(exc).__name__}: {exc}"[:300]
        return rec
    rec["latency_s"] = round(time.perf_counter() - t0, 3)
    head = " ".join(str(x) for x in out[:3]) if isinstance(out, (list, tuple)) else str(out)
    if "⚠" in head:
        rec["error"] = f"warning shown: {head[:200]}"
    elif "<tr" not in head:
        rec["error"] = f"no stance rows: {head[:200]}"
    else:
        rec["ok"] = True
    return rec


def user(i: int, url: str, until: float, questions: list[str], calls: dict, lock: threading.Lock) -> None:
    """One user until `until` and MIN_TURNS calls: ask, compare, ask, ... (each call counted, failures kept)."""
    def count(rec: dict) -> None:
        with lock:
            calls["calls"] += 1
            if not rec.get("ok"):
                calls["failed"] += 1
                calls["errors"].append({"session": i, **{k: rec.get(k) for k in ("kind", "question", "topic", "error")}})

    try:
        client = load.new_client(url)
    except Exception as exc:  # noqa: BLE001
        count({"kind": "connect", "ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]})
        return
    chat: list = []
    turn = 0
    try:
        while time.perf_counter() < until or turn < MIN_TURNS:
            if turn % 2 == 0:
                if turn % (2 * TURNS_PER_CONVERSATION) == 0:
                    chat = []  # a new conversation, as a user clicking "new chat" would
                rec = load.ask_once(client, questions[(i + turn) % len(questions)], chat, time.perf_counter() + HANG_S)
                chat = rec.pop("_chat", None) or chat
                rec["kind"] = "ask"
            else:
                rec = compare_once(client, TOPICS[(i + turn) % len(TOPICS)])
            count(rec)
            turn += 1
    finally:
        client.close()


# --- the run -------------------------------------------------------------------------

class Sampler:
    """Takes a sample every `every` seconds (called from the loop that waits for the sessions)."""

    def __init__(self, probe: Probe, t0: float, every: float, calls: dict, out: list):
        self.probe, self.t0, self.every, self.calls, self.out = probe, t0, every, calls, out
        self.next_at = t0 + every

    def tick(self) -> None:
        if time.perf_counter() < self.next_at:
            return
        s = self.probe.sample(time.perf_counter() - self.t0, self.calls)
        self.out.append(s)
        print(f"  {s['t_s']:>6.0f} s  rss {s['rss_mb']:.0f} MB  fds {s['fds']} (min {s['fds_min']}, max {s['fds_max']})  "
              f"calls {s['calls']} failed {s['failed']}  tmp {s['tmp_kb']:.0f} kB  gradio {s['gradio_kb']:.0f} kB", flush=True)
        self.next_at += self.every


def run_sessions(n: int, url: str, until: float, questions: list[str], calls: dict, sampler: Sampler, proc, problems: list) -> bool:
    """Run `n` users until `until` (and MIN_TURNS calls each), sampling meanwhile; False if the server died or hung."""
    lock = threading.Lock()
    threads = [threading.Thread(target=user, args=(i, url, until, questions, calls, lock), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    seen, progress_at = calls["calls"], time.perf_counter()
    while any(t.is_alive() for t in threads):
        time.sleep(0.5)
        sampler.tick()
        if proc.poll() is not None:
            problems.append(f"the server died (exit code {proc.returncode})")
            return False
        if calls["calls"] != seen:
            seen, progress_at = calls["calls"], time.perf_counter()
        elif time.perf_counter() - progress_at > HANG_S + 60:  # each call gives up after HANG_S: a backstop
            problems.append(f"no call finished for {HANG_S + 60} s (hung)")
            return False
    return True


def run(args) -> dict:
    res = {"when": time.strftime("%Y-%m-%dT%H:%M:%S"), "minutes": args.minutes, "sessions": args.sessions,
           "sample_s": args.sample_s, "warmup_s": args.warmup_s, "min_turns": MIN_TURNS, "stub_delay_s": args.stub_delay,
           "machine": {"cpus": os.cpu_count(), "uptime_start": load.uptime()}, "samples": [], "idle": {}, "problems": []}
    tmp = Path(tempfile.mkdtemp(prefix="perspectives-soak-"))
    folders = {"tmp": tmp / "tmp", "gradio": tmp / "gradio"}
    for p in folders.values():
        p.mkdir()
    env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1", ANONYMIZED_TELEMETRY="False",
               PERSPECTIVES_STUB_DELAY=str(args.stub_delay), TMPDIR=str(folders["tmp"]), GRADIO_TEMP_DIR=str(folders["gradio"]))
    log = tmp / "server.log"
    proc = fh = probe = None
    calls = {"calls": 0, "failed": 0, "errors": []}
    try:
        port = load.free_port()
        print(f"starting the server (stub) on 127.0.0.1:{port} ...", flush=True)
        proc, fh, startup = load.start_server("stub", port, tmp, env, log, timeout=180)
        res["startup_s"] = round(startup, 1)
        url = f"http://127.0.0.1:{port}/"
        probe = Probe(proc.pid, folders)
        t0 = time.perf_counter()
        res["samples"].append(probe.sample(0.0, calls))
        sampler = Sampler(probe, t0, args.sample_s, calls, res["samples"])
        questions = load.load_questions(24)
        end_warmup = t0 + min(args.warmup_s, args.minutes * 60 / 2)
        print(f"{args.sessions} sessions for {args.minutes:g} min, a sample every {args.sample_s:g} s ...", flush=True)
        for phase, until in (("after_warmup", end_warmup), ("end", t0 + args.minutes * 60)):
            if not run_sessions(args.sessions, url, until, questions, calls, sampler, proc, res["problems"]):
                break
            res["idle"][phase] = probe.idle(time.perf_counter() - t0)
            print(f"  idle {phase}: rss {res['idle'][phase]['rss_mb']:.0f} MB, fds {res['idle'][phase]['fds']}", flush=True)
    finally:
        if probe is not None:
            probe.close()
        if proc is not None:
            res["server"] = load.stop_server(proc, fh)
            text = load.tail(log, 10**7)
            res["server"]["tracebacks_in_log"] = text.count("Traceback (most recent call last)")
            res["server"]["log_tail"] = text[-2000:]
        shutil.rmtree(tmp, ignore_errors=True)
    res["calls"], res["failed"], res["errors"] = calls["calls"], calls["failed"], calls["errors"][:20]
    judge(res, args)
    return res


def judge(res: dict, args) -> None:
    """Apply the pass rules (see the module docstring) to the idle measurements and the calls."""
    problems, idle = res["problems"], res["idle"]
    if set(idle) != {"after_warmup", "end"}:
        problems.append("the run did not reach both idle measurements")
    else:
        base, end = idle["after_warmup"], idle["end"]
        held = max([base["rss_mb"], *(s["rss_mb"] for s in res["samples"] if s["t_s"] <= base["t_s"])])
        growth = end["rss_mb"] / held - 1
        res["rss"] = {"start_mb": res["samples"][0]["rss_mb"], "after_warmup_mb": base["rss_mb"], "warmup_most_mb": held,
                      "end_mb": end["rss_mb"], "peak_mb": max(s["rss_mb"] for s in res["samples"]), "growth": round(growth, 4)}
        res["fds"] = {"start": res["samples"][0]["fds"], "after_warmup": base["fds"], "end": end["fds"],
                      "peak_under_load": max(s["fds_max"] for s in res["samples"])}
        if growth >= RSS_GROWTH_LIMIT:
            problems.append(f"RSS grew {growth:.1%} after the warm-up (most in the warm-up {held} MB -> {end['rss_mb']} MB idle at the end)")
        if end["fds"] > base["fds"]:
            problems.append(f"open fds grew after the warm-up ({base['fds']} -> {end['fds']}, idle)")
    if res["failed"]:
        problems.append(f"{res['failed']} of {res['calls']} calls failed, e.g. {res['errors'][0]['error'] if res['errors'] else '?'}")
    if not res["calls"]:
        problems.append("no calls were made")
    srv = res.get("server", {})
    if srv.get("tracebacks_in_log"):
        problems.append(f"{srv['tracebacks_in_log']} traceback(s) in the server log")
    if srv and srv.get("stopped_by") != "SIGINT":
        problems.append(f"the server was stopped by {srv.get('stopped_by')}, not SIGINT")
    res["ok"] = not problems


def table(res: dict) -> str:
    rss, fds, last = res.get("rss", {}), res.get("fds", {}), (res["samples"] or [{}])[-1]
    rows = [
        ("sessions x minutes", f"{res['sessions']} x {res['minutes']:g} (stub delay {res['stub_delay_s']:g} s/call)"),
        ("calls / failed", f"{res['calls']} / {res['failed']}"),
        ("RSS start / after warm-up / end (idle)", f"{rss.get('start_mb')} / {rss.get('after_warmup_mb')} / {rss.get('end_mb')} MB "
                                                   f"(growth {rss.get('growth', 0):.1%} over the warm-up's most, {rss.get('warmup_most_mb')} MB, "
                                                   f"limit {RSS_GROWTH_LIMIT:.0%}; peak {rss.get('peak_mb')} MB)"),
        ("fds start / after warm-up / end (idle)", f"{fds.get('start')} / {fds.get('after_warmup')} / {fds.get('end')} (peak under load {fds.get('peak_under_load')})"),
        ("temp / gradio folders at the end", f"{last.get('tmp_kb', '-')} kB / {last.get('gradio_kb', '-')} kB"),
        ("result", ("OK" if res["ok"] else "FAILED: " + "; ".join(res["problems"])) + f"  -> {res.get('file', '')}"),
    ]
    w = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{w}}  {v}" for k, v in rows)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--minutes", type=float, default=30, help="how long the sessions run")
    ap.add_argument("--sessions", type=int, default=8, help="concurrent users")
    ap.add_argument("--sample-s", type=float, default=60, help="seconds between samples")
    ap.add_argument("--warmup-s", type=float, default=60, help="seconds before RSS and fds become the baseline")
    ap.add_argument("--stub-delay", type=float, default=0.2, help="seconds per stub model call (PERSPECTIVES_STUB_DELAY)")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results"), help="folder for the JSON results")
    args = ap.parse_args(argv)
    if not (0 < args.minutes <= 24 * 60 and 1 <= args.sessions <= 64 and 1 <= args.sample_s <= 3600):
        ap.error("--minutes 0-1440, --sessions 1-64, --sample-s 1-3600")
    res = run(args)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{time.strftime('%Y%m%d-%H%M%S')}-soak-stub.json"
    res["file"] = str(path)
    path.write_text(json.dumps(res, indent=1, ensure_ascii=False), encoding="utf-8")
    print(table(res))
    return 0 if res["ok"] else 1


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)  # a client thread stuck on a dead stream must not keep the process alive
