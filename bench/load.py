"""Load test: N concurrent sessions against the real web app, on loopback only.

    python bench/load.py --model stub --questions 3     # ~1 min: 8 sessions x 3 questions
    python bench/load.py                                # bundled model, 8 x 2 (several minutes)
    python bench/load.py --model stub --sessions 3 --questions 1 --timeout 120 --out /tmp/r

What it does (all state in a temporary folder, never the user's):
1. starts `perspectives serve --host 127.0.0.1 --port <free port> --data-dir <tmp>` on a
   copy of ./seeds as a subprocess and waits (bounded) until it answers HTTP;
2. runs --sessions threads at once, each with its own gradio_client.Client (its own session
   hash), each asking --questions different questions from tests/eval/questions.jsonl in
   turn through the app's public `/ask` endpoint, the conversation carried over as in the
   browser. Per question it records the latency (submit -> final answer), the queue wait
   (submit -> processing starts), the time to the first streamed update, and every queue
   status the server sent (rank, queue size, eta) - the API client's equivalent of the
   browser's "waiting" placeholder and queue position;
3. checks every final answer: non-empty, not an error turn, no warning toast, at least one
   citation like [1] (grounded);
4. checks the server process is still alive, asks one more question on a fresh session, and
   stops the server (SIGINT, then terminate/kill if it does not exit); tracebacks in the
   server's log count as failures.

"Everyone served" means every session got all its answers and every question that had to
wait (queue wait >= 0.5 s) saw at least one IN_QUEUE status with its rank. The whole run is
bounded by --timeout; on timeout it reports what finished, and the unfinished count as failed.
Writes bench/results/<timestamp>-load-<model>.json (or --out) and prints a table; the exit
code is non-zero on any failure.

Speed is reported, never judged: on a busy machine questions are slower, not failed. The time
bounds (--timeout, CLIENT_TIMEOUT_S for each HTTP request of a client, STOP_S for Ctrl+C) are
there to catch hangs, and are far above what a slow machine needs.
Not here: single-request speed (bench/run.py) or answer quality (python -m app.eval).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # gradio_client phones home unless this is "False"
os.environ.setdefault("HF_HUB_OFFLINE", "1")

QUESTIONS = ROOT / "tests" / "eval" / "questions.jsonl"
WAITED_S = 0.5  # a question whose queue wait is at least this long "had to wait"
POLL_S = 0.05
K, TEMPERATURE = 3, 0.0
CITE = re.compile(r"\[\d+\]")
FOOT = re.compile(r"<span class='pv-foot'>.*?</span>", re.S)
WAITING_TEXT = "_Waiting for the model"
# gradio_client leaves httpx's 5 s default on reading the config and joining the queue; a server
# sharing a busy CPU can take longer than that, which is slowness, not a failure.
CLIENT_TIMEOUT_S = 120
STOP_S = 60  # seconds the server gets to stop on SIGINT (as Ctrl+C), before SIGTERM


# --- the server ----------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(model: str, port: int, tmp: Path, env: dict, log: Path, timeout: float):
    """Start `perspectives serve` and wait until it answers; returns (process, log handle, seconds)."""
    import httpx

    seeds = tmp / "seeds"
    shutil.copytree(ROOT / "seeds", seeds)
    exe = Path(sys.executable).parent / "perspectives"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "app.cli.main"]
    cmd += ["serve", "--model", model, "--host", "127.0.0.1", "--port", str(port),
            "--data-dir", str(tmp / "data"), "--seeds", str(seeds)]
    fh = log.open("wb")
    t0 = time.perf_counter()
    # A run started in the background of a non-interactive shell inherits SIGINT as ignored, and
    # Python then never turns Ctrl+C into KeyboardInterrupt: the server gets the default back.
    proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env, cwd=tmp, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    url = f"http://127.0.0.1:{port}/"
    while time.perf_counter() - t0 < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before it was ready:\n{tail(log)}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return proc, fh, time.perf_counter() - t0
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    stop_server(proc, fh)
    raise TimeoutError(f"server not ready after {timeout:.0f} s:\n{tail(log)}")


def stop_server(proc, fh) -> dict:
    """SIGINT (what Ctrl+C sends), then terminate, then kill; says which one it took, and how long."""
    how = "already exited"
    t0 = time.perf_counter()
    if proc.poll() is None:
        for how, send, wait in (("SIGINT", lambda: proc.send_signal(signal.SIGINT), STOP_S),
                                ("SIGTERM", proc.terminate, 10), ("SIGKILL", proc.kill, 10)):
            send()
            try:
                proc.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
    fh.close()
    return {"stopped_by": how, "exit_code": proc.returncode, "stop_s": round(time.perf_counter() - t0, 2)}


def tail(log: Path, n: int = 3000) -> str:
    return log.read_text(encoding="utf-8", errors="replace")[-n:] if log.exists() else ""


# --- one question through the public /ask endpoint ------------------------------------

def drain(job) -> list:
    """Every update the client received since the last call (status and output, in order)."""
    com = job.communicator
    out = []
    with com.lock:
        while not com.updates.empty():
            out.append(com.updates.get_nowait())
    return out


def ask_once(client, question: str, chat: list, deadline: float) -> dict:
    from gradio_client.utils import Status

    rec = {"question": question, "ok": False, "error": None, "latency_s": None, "queue_wait_s": None,
           "first_update_s": None, "saw_queue": False, "ranks": [], "max_queue_size": None, "etas": [],
           "warnings": [], "answer_chars": 0, "citations": 0, "answer": ""}
    settle(client)
    t0 = time.perf_counter()
    wall0 = dt.datetime.now()
    job = client.submit(question, chat, K, TEMPERATURE, api_name="/ask")

    def since(u) -> float:  # the client stamps every status with the time it arrived
        return max(0.0, (u.time - wall0).total_seconds()) if u.time else time.perf_counter() - t0

    def absorb(updates):
        for u in updates:
            if getattr(u, "type", None) == "output" or not hasattr(u, "code"):
                if rec["first_update_s"] is None:
                    rec["first_update_s"] = round(time.perf_counter() - t0, 3)
                continue
            if u.code == Status.IN_QUEUE:
                rec["saw_queue"] = True
                if u.rank is not None:
                    rec["ranks"].append(u.rank)
                if u.queue_size is not None:
                    rec["max_queue_size"] = max(rec["max_queue_size"] or 0, u.queue_size)
                if u.eta is not None:
                    rec["etas"].append(round(u.eta, 1))
            elif u.code in (Status.PROCESSING, Status.ITERATING, Status.FINISHED) and rec["queue_wait_s"] is None:
                rec["queue_wait_s"] = round(since(u), 3)
            if u.code == Status.ITERATING and rec["first_update_s"] is None:
                rec["first_update_s"] = round(since(u), 3)
            if u.code == Status.LOG and u.log:
                rec["warnings"].append(f"{u.log[1]}: {u.log[0]}")

    while not job.done():
        absorb(drain(job))
        if time.perf_counter() > deadline:
            job.cancel()
            rec["error"] = "timeout (the deadline passed before the answer)"
            rec["latency_s"] = round(time.perf_counter() - t0, 3)
            return rec
        time.sleep(POLL_S)
    rec["latency_s"] = round(time.perf_counter() - t0, 3)
    absorb(drain(job))
    rec["ranks"] = sorted(set(rec["ranks"]), reverse=True)
    rec["etas"] = rec["etas"][:5]
    try:
        out = job.result(timeout=0)
    except Exception as exc:  # noqa: BLE001 - any failure of the call is a finding
        rec["error"] = f"{type(exc).__name__}: {exc}"[:500]
        return rec
    chatbot = out[1] if isinstance(out, (list, tuple)) and len(out) > 1 else None
    if not isinstance(chatbot, list) or not chatbot or chatbot[-1].get("role") != "assistant":
        rec["error"] = f"no assistant turn in the output: {str(out)[:300]}"
        return rec
    text = FOOT.sub("", content_text(chatbot[-1])).strip()
    rec["answer"] = text[:300]
    rec["answer_chars"] = len(text)
    rec["citations"] = len(CITE.findall(text))
    rec["_chat"] = chatbot
    if not text:
        rec["error"] = "empty answer"
    elif text.startswith("⚠") or text.startswith(WAITING_TEXT):
        rec["error"] = f"error/placeholder turn: {text[:200]}"
    elif rec["warnings"]:
        rec["error"] = f"warning shown: {rec['warnings'][0][:200]}"
    elif not rec["citations"]:
        rec["error"] = "answer has no citation [n]"
    else:
        rec["ok"] = True
    return rec


def content_text(message: dict) -> str:
    c = message.get("content")
    if isinstance(c, list):
        return "".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in c)
    return c if isinstance(c, str) else str(c)


def new_client(url: str):
    import httpx
    from gradio_client import Client

    return Client(url, verbose=False, download_files=False, analytics_enabled=False,
                  httpx_kwargs={"timeout": httpx.Timeout(CLIENT_TIMEOUT_S)})


def settle(client, limit_s: float = 30.0) -> None:
    """Wait until the client's previous event stream has closed, so that the next call opens its own.

    gradio_client (2.x) reads all calls of a session from one SSE stream, which the server closes
    after the session's last pending call. A call submitted after the server sent that close, but
    before the client's reader thread has handled it, is registered on the closing stream and
    ends in CancelledError although the server ran it: the likely cause of the soak's one
    CancelledError in 276 calls on a busy machine, and slowing the reader by 0.5 s turns every
    other call into one. The close follows the answer at once, so the wait is normally a few ms.
    `stream_open` is the client's own flag, not its API: if a later version drops it, this
    does nothing.
    """
    end = time.perf_counter() + limit_s
    while getattr(client, "stream_open", False) and time.perf_counter() < end:
        time.sleep(0.01)


def session(i: int, url: str, questions: list[str], deadline: float, results: list, lock: threading.Lock) -> None:
    """One browser-like user: its own client (session hash), questions one after another."""
    def add(rec):
        rec.update(session=i)
        with lock:
            results.append(rec)

    try:
        client = new_client(url)
    except Exception as exc:  # noqa: BLE001
        for j, q in enumerate(questions):
            add({"turn": j, "question": q, "ok": False, "error": f"client could not connect: {type(exc).__name__}: {exc}"[:500]})
        return
    chat: list = []
    try:
        for j, q in enumerate(questions):
            if time.perf_counter() > deadline:
                add({"turn": j, "question": q, "ok": False, "error": "timeout (not asked)"})
                continue
            try:
                rec = ask_once(client, q, chat, deadline)
            except Exception as exc:  # noqa: BLE001
                rec = {"question": q, "ok": False, "error": f"{type(exc).__name__}: {exc}"[:500]}
            chat = rec.pop("_chat", None) or chat
            rec["turn"] = j
            add(rec)
    finally:
        client.close()


# --- the run -------------------------------------------------------------------------

def pct(xs: list[float], p: float) -> float | None:
    """Nearest-rank percentile (p50 of 16 values = the 8th smallest; p95 = the 16th)."""
    xs = sorted(x for x in xs if x is not None)
    return round(xs[max(0, math.ceil(p / 100 * len(xs)) - 1)], 2) if xs else None


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return " ".join(f"{x:.2f}" for x in os.getloadavg())


def load_questions(n: int) -> list[str]:
    qs = [json.loads(line)["question"] for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    if n > len(qs):  # more turns than questions: repeat, but never the same text twice in a run
        qs = [q if r == 0 else f"{q} (again, {r + 1})" for r in range(math.ceil(n / len(qs))) for q in qs]
    return qs[:n]


def model_tag(model: str) -> str:
    return model if model in ("stub", "default") else re.sub(r"[^A-Za-z0-9_.-]+", "-", Path(model).stem)[:40]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--model", default="default", help="stub, default (the bundled SmolLM2-135M) or a path to a .gguf")
    ap.add_argument("--sessions", type=int, default=8, help="concurrent sessions (each its own client and session hash)")
    ap.add_argument("--questions", type=int, default=2, help="questions per session, asked one after another")
    ap.add_argument("--timeout", type=float, default=900, help="bound in seconds for the whole run (server start, load, post-load check)")
    ap.add_argument("--stub-delay", type=float, default=0.3, help="seconds per stub model call (PERSPECTIVES_STUB_DELAY; stub only, ~6 calls a question)")
    ap.add_argument("--threads", type=int, default=0, help="llama.cpp threads for the server (PERSPECTIVES_THREADS); 0 = the app's default")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results"), help="folder for the JSON results")
    args = ap.parse_args(argv)
    if not (1 <= args.sessions <= 64 and 1 <= args.questions <= 20 and args.timeout > 0):
        ap.error("--sessions 1..64 (the app's queue holds 64), --questions 1..20, --timeout > 0")

    t_start = time.perf_counter()
    deadline = t_start + args.timeout
    env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1", ANONYMIZED_TELEMETRY="False")
    env.pop("PERSPECTIVES_STUB_DELAY", None)
    if args.model == "stub" and args.stub_delay > 0:
        env["PERSPECTIVES_STUB_DELAY"] = str(args.stub_delay)
    if args.threads:
        env["PERSPECTIVES_THREADS"] = str(args.threads)
    res: dict = {"when": time.strftime("%Y-%m-%dT%H:%M:%S"), "model": args.model, "sessions": args.sessions,
                 "questions_per_session": args.questions, "timeout_s": args.timeout,
                 "stub_delay_s": args.stub_delay if args.model == "stub" else None, "threads": args.threads or None,
                 "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "uptime_start": uptime()},
                 "problems": []}
    problems = res["problems"]
    results: list[dict] = []
    tmp = Path(tempfile.mkdtemp(prefix="perspectives-load-"))
    log = tmp / "server.log"
    proc = fh = None
    try:
        port = free_port()
        print(f"starting the server ({args.model}) on 127.0.0.1:{port} ...", flush=True)
        try:
            proc, fh, startup = start_server(args.model, port, tmp, env, log, max(1.0, deadline - time.perf_counter()))
        except (RuntimeError, TimeoutError, OSError) as exc:
            problems.append(f"server did not start: {exc}")
            res["server"] = {"started": False}
            return finish(res, results, args, t_start)
        url = f"http://127.0.0.1:{port}/"
        res["server"] = {"started": True, "startup_s": round(startup, 2), "url": url}

        qs = load_questions(args.sessions * args.questions)
        per = [qs[i * args.questions:(i + 1) * args.questions] for i in range(args.sessions)]
        print(f"{args.sessions} sessions x {args.questions} questions ...", flush=True)
        lock = threading.Lock()
        t_load = time.perf_counter()
        threads = [threading.Thread(target=session, args=(i, url, per[i], deadline, results, lock), daemon=True)
                   for i in range(args.sessions)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(max(0.0, deadline - time.perf_counter()) + 30)  # ask_once gives up at the deadline itself
        res["load_wall_s"] = round(time.perf_counter() - t_load, 2)
        hung = sum(t.is_alive() for t in threads)
        if hung:
            problems.append(f"{hung} session thread(s) still running after the deadline")
        with lock:
            asked = {(r["session"], r["turn"]) for r in results}
            for i, q in enumerate(per):
                for j, text in enumerate(q):
                    if (i, j) not in asked:
                        results.append({"session": i, "turn": j, "question": text, "ok": False, "error": "no result (session hung)"})

        res["machine"]["uptime_after_load"] = uptime()
        alive = proc.poll() is None
        res["server"]["alive_after_load"] = alive
        if not alive:
            problems.append(f"server process died during the load (exit code {proc.returncode})")
        else:
            print("one more question after the load ...", flush=True)
            try:
                client = new_client(url)
                try:
                    post = ask_once(client, load_questions(args.sessions * args.questions + 1)[-1], [], max(deadline, time.perf_counter() + 30))  # proves it still serves even after a timeout
                finally:
                    client.close()
                post.pop("_chat", None)
            except Exception as exc:  # noqa: BLE001
                post = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:500]}
            res["server"]["post_load"] = post
            if not post["ok"]:
                problems.append(f"question after the load failed: {post['error']}")
    finally:
        if proc is not None:
            res.setdefault("server", {}).update(stop_server(proc, fh))
            text = tail(log, 10**7)
            tracebacks = text.count("Traceback (most recent call last)")
            res["server"]["tracebacks_in_log"] = tracebacks
            res["server"]["log_tail"] = text[-3000:]
            if tracebacks:
                problems.append(f"{tracebacks} traceback(s) in the server log")
            if res["server"].get("stopped_by") == "SIGKILL":
                problems.append("server did not stop on SIGINT or SIGTERM")
        shutil.rmtree(tmp, ignore_errors=True)
    return finish(res, results, args, t_start)


def finish(res: dict, results: list[dict], args, t_start: float) -> int:
    results.sort(key=lambda r: (r["session"], r["turn"]))
    ok = [r for r in results if r.get("ok")]
    waited = [r for r in results if (r.get("queue_wait_s") or 0) >= WAITED_S]
    lat = [r["latency_s"] for r in ok]
    s = {
        "asked": len(results), "answered": len(ok), "failed": len(results) - len(ok),
        "grounded": sum(1 for r in results if r.get("citations")),
        "p50_s": pct(lat, 50), "p95_s": pct(lat, 95), "max_s": max(lat) if lat else None,
        "first_update_p50_s": pct([r.get("first_update_s") for r in ok], 50),
        "queue_wait_p50_s": pct([r.get("queue_wait_s") for r in ok], 50),
        "queue_wait_max_s": max((r.get("queue_wait_s") or 0 for r in results), default=None),
        "waited": len(waited), "waited_saw_queue": sum(1 for r in waited if r.get("saw_queue") and r.get("ranks")),
        "saw_queue_any": sum(1 for r in results if r.get("saw_queue")),
        "max_rank_seen": max((max(r["ranks"]) for r in results if r.get("ranks")), default=None),
        "sessions_fully_served": sum(1 for i in range(args.sessions)
                                     if sum(1 for r in ok if r["session"] == i) == args.questions),
    }
    s["everyone_served"] = s["sessions_fully_served"] == args.sessions and s["waited_saw_queue"] == s["waited"] and s["answered"] == args.sessions * args.questions
    wall = res.get("load_wall_s")
    s["questions_per_min"] = round(len(ok) / wall * 60, 2) if wall else None
    res["summary"] = s
    problems = res["problems"]
    if s["failed"]:
        reasons: dict[str, int] = {}
        for r in results:
            if not r.get("ok"):
                key = re.sub(r"\d+(\.\d+)?", "N", str(r.get("error")))[:120]
                reasons[key] = reasons.get(key, 0) + 1
        problems += [f"{n} failed: {why}" for why, n in reasons.items()]
    if s["waited_saw_queue"] != s["waited"]:
        problems.append(f"{s['waited'] - s['waited_saw_queue']} question(s) waited without seeing a queue position")
    res["ok"] = not problems
    res["total_s"] = round(time.perf_counter() - t_start, 2)
    res["machine"]["load_avg_end"] = os.getloadavg()
    res["runs"] = results

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{time.strftime('%Y%m%d-%H%M%S')}-load-{model_tag(args.model)}.json"
    path.write_text(json.dumps(res, indent=1, default=str, ensure_ascii=False), encoding="utf-8")
    res["file"] = str(path)
    print(table(res))
    return 0 if res["ok"] else 1


def table(r: dict) -> str:
    s, srv = r["summary"], r.get("server", {})
    f = lambda x, unit=" s": "-" if x is None else f"{x:.2f}{unit}"  # noqa: E731
    model = r["model"] + (f" (stub delay {r['stub_delay_s']:g} s/call)" if r.get("stub_delay_s") else "") + (f", {r['threads']} thread(s)" if r.get("threads") else "")
    rows = [
        ("model", model),
        ("sessions x questions", f"{r['sessions']} x {r['questions_per_session']} = {r['sessions'] * r['questions_per_session']}"),
        ("answered / failed", f"{s['answered']} / {s['failed']}  (grounded with [n]: {s['grounded']})"),
        ("latency p50 / p95 / max", f"{f(s['p50_s'])} / {f(s['p95_s'])} / {f(s['max_s'])}  (submit -> final answer)"),
        ("first streamed update p50", f(s["first_update_p50_s"])),
        ("queue wait p50 / max", f"{f(s['queue_wait_p50_s'])} / {f(s['queue_wait_max_s'])}"),
        ("waited >= 0.5 s / saw queue position", f"{s['waited']} / {s['waited_saw_queue']}  (max rank seen {s['max_rank_seen']})"),
        ("sessions fully served", f"{s['sessions_fully_served']} / {r['sessions']}  -> everyone served: {'yes' if s['everyone_served'] else 'NO'}"),
        ("load wall time / throughput", f"{f(r.get('load_wall_s'))} / {s['questions_per_min'] or '-'} questions/min"),
        ("server", f"startup {f(srv.get('startup_s'))}, alive after load: {srv.get('alive_after_load')}, "
                   f"post-load question: {'ok' if srv.get('post_load', {}).get('ok') else 'FAILED'}, "
                   f"stopped by {srv.get('stopped_by')} (exit {srv.get('exit_code')}), tracebacks {srv.get('tracebacks_in_log')}"),
        ("uptime at start", r["machine"]["uptime_start"]),
        ("result", ("OK" if r["ok"] else "FAILED: " + "; ".join(r["problems"])) + f"  -> {r.get('file', '')}"),
    ]
    w = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{w}}  {v}" for k, v in rows)


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # a client thread stuck on a dead stream must not keep the process alive
