"""Scale benchmark: how `perspectives` behaves with 5, 50, 200 and 1,000 articles (issue 23).

    python bench/scale.py                          # bundled model, sizes 5 50 200 1000, 3 later asks
    python bench/scale.py --sizes 5 50 --later 1
    python bench/scale.py --model stub --sizes 5 --later 1 --out /tmp/results    # the test's run

For each size, a corpus is generated (bench/gen_corpus.py: deterministic, from the seeds and
the eval corpora this repository ships; nothing is downloaded) into a temporary folder, with a
fresh data dir, and these run as whole processes, as a user runs them:

1. `perspectives index --seeds DIR --data-dir D` (a fresh index);
2. the first `perspectives ask VIEW_QUESTION --json` after it (what the first user waits for);
3. `--later` rounds of later asks, each round the view and the fact question, each ask followed
   by the ordinary single-prompt RAG baseline (bench/plain_rag.py, as a process over the same
   articles, index and model) on the same question, so both see the same machine load;
4. one `perspectives compare TOPIC --json`.

Per command: wall seconds; CPU seconds of the process and its children, the model's worker
too (steadier than wall on a shared machine); peak memory of that process tree (sum of PSS,
and of RSS, over the process and its children, sampled every 20 ms with psutil; see
TreeSampler for when PSS itself is read); and from the JSON: the answer's characters, the
JSON's bytes, cards by status and the articles left unexamined, passages, the flow's own timing.

One-off costs are paid once before the sizes, in a warm-up data dir over the seeds, and its
model caches (`models/`: the embedder's optimized graph, the Q8_0 copy of the bundled model,
the llama.cpp probe verdict; and `calibration.json`, compare's stance calibration) are carried
into each size's fresh data dir, so a size's figures are its corpus's, not the install's.

Writes bench/results/<timestamp>-scale.json (or --out) and prints a table, sizes side by side.
No figure is asserted here. Not here: quality at scale (python -m app.eval), concurrent users
(bench/load.py), in-process stage timings (bench/run.py).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.gen_corpus import generate  # noqa: E402

SIZES = (5, 50, 200, 1000)
QUESTIONS = {
    "view": "Did the Chinese government deserve credit for DeepSeek's success?",
    "fact": "Which Chinese universities did DeepSeek's researchers come from?",
}
# The fact question's answer (tests/eval/questions.jsonl, q08). Its sentence is in the generated
# corpora of every size (5: 1 article, 50: 7); q03's "H800" was in none of the 5 and 1 of the 50.
FACT_NEEDS = "Tsinghua University"
TOPIC = "US export controls on chips"
SAMPLE_S = 0.02
# A `perspectives` process running this checkout's code (not whichever copy is installed).
PERSPECTIVES = "import sys; sys.argv[0] = 'perspectives'; from app.cli.main import main; main()"


# --- one process, measured ------------------------------------------------------------

def _descendants(pid: int) -> list[int]:
    """pid's children, grandchildren...: from /proc/PID/task/*/children (a few small reads, where
    psutil's children() reads every process on the machine; it is the fallback)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                with open(f"/proc/{p}/task/{tid}/children") as fh:
                    kids = [int(x) for x in fh.read().split()]
            except OSError:
                continue
            out += kids
            todo += kids
    return out


class TreeSampler:
    """Peak memory and CPU of a process and its descendants (e.g. the model's worker), by psutil.

    Every tick (20 ms): which processes, their RSS and CPU times (cheap: /proc statm and stat).
    PSS costs a walk of the process's pages by the kernel (milliseconds for the model's worker,
    a sixth of a core if done every tick), so it is read on the first tick, whenever the RSS sum
    passes the highest it had at a PSS reading by 1%, when the set of processes changes, and
    otherwise every PSS_EVERY ticks: 20 ms resolution while memory grows, 0.2 s on a plateau.
    CPU is summed from the last reading of each process, because a worker that outlives its
    parent (it exits when its socket closes) is nobody's waited-for child and getrusage misses it.
    """

    PSS_EVERY = 10

    def __init__(self, pid: int):
        self.pid = pid
        self.procs: dict = {}
        self.cpu: dict[int, float] = {}
        self.peak_pss = self.peak_rss = self.peak_procs = self.ticks = self.pss_reads = 0
        self._rss_at_pss, self._last_pss, self._members = 0, -self.PSS_EVERY, ()

    def _pids(self) -> list[int]:
        import psutil

        if os.path.exists(f"/proc/{self.pid}/task"):
            return [self.pid, *_descendants(self.pid)]
        try:
            return [self.pid, *(c.pid for c in psutil.Process(self.pid).children(recursive=True))]
        except psutil.Error:
            return []

    def tick(self) -> None:
        import psutil

        live, rss = [], 0
        for p in self._pids():
            try:
                proc = self.procs.get(p) or self.procs.setdefault(p, psutil.Process(p))
                rss += proc.memory_info().rss
                t = proc.cpu_times()
                self.cpu[p] = t.user + t.system
            except psutil.Error:  # gone between listing and reading, or a zombie
                continue
            live.append(proc)
        self.ticks += 1
        self.peak_rss, self.peak_procs = max(self.peak_rss, rss), max(self.peak_procs, len(live))
        members = tuple(p.pid for p in live)
        if rss > self._rss_at_pss * 1.01 or members != self._members or self.ticks - self._last_pss >= self.PSS_EVERY:
            pss = 0
            for proc in live:
                try:
                    pss += proc.memory_full_info().pss  # the kernel walks the pages (smaps_rollup)
                except psutil.Error:
                    continue
            self.peak_pss = max(self.peak_pss, pss)
            self._rss_at_pss, self._last_pss, self._members = max(self._rss_at_pss, rss), self.ticks, members
            self.pss_reads += 1

    @property
    def cpu_s(self) -> float:
        return sum(self.cpu.values())


def measure(argv: list[str], env: dict, cwd: Path, interval: float = SAMPLE_S) -> dict:
    """Run argv to completion: wall and CPU seconds, peak PSS/RSS of its process tree, its output."""
    out_f = tempfile.TemporaryFile()
    err_f = tempfile.TemporaryFile()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    popen = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out_f, stderr=err_f)
    tree = TreeSampler(popen.pid)
    while popen.poll() is None:
        t = time.perf_counter()
        tree.tick()
        time.sleep(max(0.0, interval - (time.perf_counter() - t)))
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    waited = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)  # the process and the children it waited for
    out_f.seek(0)
    err_f.seek(0)
    stdout, stderr = out_f.read(), err_f.read().decode("utf-8", "replace")
    out_f.close()
    err_f.close()
    return {"wall_s": round(wall, 3), "cpu_s": round(max(waited, tree.cpu_s), 3), "cpu_waited_s": round(waited, 3),
            "cpu_sampled_s": round(tree.cpu_s, 3), "peak_pss_mb": round(tree.peak_pss / 2**20, 1),
            "peak_rss_mb": round(tree.peak_rss / 2**20, 1), "processes": tree.peak_procs, "samples": tree.ticks,
            "pss_reads": tree.pss_reads, "load_avg_1m": round(load, 2), "exit_code": popen.returncode,
            "stdout": stdout, "stderr_tail": stderr[-1500:]}


class Runner:
    """Runs `perspectives` and the plain RAG baseline over one article folder and data dir."""

    def __init__(self, seeds: Path, data: Path, model: str, cwd: Path, interval: float = SAMPLE_S):
        self.seeds, self.data, self.model, self.cwd, self.interval = seeds, data, model, cwd, interval
        env = {k: v for k, v in os.environ.items() if not k.startswith("PERSPECTIVES_")}
        env.update(PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""), HF_HUB_OFFLINE="1", ANONYMIZED_TELEMETRY="False")
        self.env = env

    def _common(self) -> list[str]:
        return ["--seeds", str(self.seeds), "--data-dir", str(self.data), "--model", self.model]

    def perspectives(self, *args: str) -> dict:
        r = measure([sys.executable, "-c", PERSPECTIVES, *args, *self._common()], self.env, self.cwd, self.interval)
        if r["exit_code"] != 0:
            raise RuntimeError(f"`perspectives {' '.join(args[:1])}` exited with {r['exit_code']}: {r['stderr_tail'][-600:]}")
        del r["stderr_tail"]  # progress bars and notices
        return r

    def index(self) -> dict:
        r = self.perspectives("index")
        text = r.pop("stdout").decode("utf-8", "replace")
        m = re.search(r"(\d+) articles, (\d+) passages", text)
        r["articles"], r["passages"] = (int(m.group(1)), int(m.group(2))) if m else (None, None)
        m = re.search(r"embedded in ([\d.]+) s", text)
        r["sync_s"] = float(m.group(1)) if m else None  # the index's own figure, without start-up
        return r

    def ask(self, kind: str) -> dict:
        r = self.perspectives("ask", QUESTIONS[kind], "--json")
        raw = r.pop("stdout")
        res = json.loads(raw)
        statuses = [p.get("status", "addresses" if p.get("addressed") else "silent") for p in res["perspectives"]]
        t = res.get("timing", {})
        r.update(kind=kind, answer_chars=len(res["answer"]), titles_in_answer=res["answer"].count("«"), json_bytes=len(raw), cards=len(res["perspectives"]),
                 addresses=statuses.count("addresses"), mentions=statuses.count("mentions"), silent=statuses.count("silent"),
                 not_examined=len(res.get("not_examined", [])),  # articles outside the question's candidates: no card
                 passages=len(res.get("passages", [])), citations=len(res.get("citations", [])),
                 generated=res.get("generated"), dropped=res.get("dropped"), model=res.get("model"),
                 model_error=res.get("model_error"), before_flow_s=round(r["wall_s"] - t.get("total_s", 0.0), 3),
                 timing={k: t.get(k) for k in ("retrieval_s", "model_s", "first_token_s", "total_s", "prompt_tokens", "completion_tokens")})
        if kind == "fact":
            r["fact_in_answer"] = FACT_NEEDS in res["answer"]
        r["answer_head"] = res["answer"][:300]
        return r

    def plain(self, kind: str) -> dict:
        argv = [sys.executable, str(ROOT / "bench" / "plain_rag.py"), QUESTIONS[kind], "--json", *self._common()]
        r = measure(argv, self.env, self.cwd, self.interval)
        if r["exit_code"] != 0:
            raise RuntimeError(f"bench/plain_rag.py exited with {r['exit_code']}: {r['stderr_tail'][-600:]}")
        del r["stderr_tail"]
        raw = r.pop("stdout")
        res = json.loads(raw)
        r.update(kind=kind, answer_chars=len(res["answer"]), json_bytes=len(raw), passages=len(res.get("passages", [])),
                 timing={k: res.get(k) for k in ("retrieval_s", "first_token_s", "total_s")},
                 before_flow_s=round(r["wall_s"] - res.get("total_s", 0.0), 3))
        if kind == "fact":
            r["fact_in_answer"] = FACT_NEEDS in res["answer"]
        r["answer_head"] = res["answer"][:300]
        return r

    def compare(self) -> dict:
        r = self.perspectives("compare", TOPIC, "--json")
        raw = r.pop("stdout")
        res = json.loads(raw)
        res = res[0] if isinstance(res, list) else res
        rows = res.get("rows", [])
        statuses = [row.get("status", "") for row in rows]
        r.update(json_bytes=len(raw), rows=len(rows), not_examined=len(res.get("not_examined", [])), labels=res.get("labels"), timing=res.get("timing"),
                 by_status={s: statuses.count(s) for s in sorted(set(statuses))},
                 quotes=sum(len(row.get("quotes", [])) for row in rows))
        return r


# --- the run ------------------------------------------------------------------------

def med(xs):
    xs = [x for x in xs if x is not None]
    return round(statistics.median(xs), 3) if xs else None


def carry_caches(warm: Path, data: Path) -> None:
    """The warm-up's one-off model caches into a fresh data dir (hard links where possible)."""
    def link(src, dst):
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    if (warm / "models").is_dir():
        shutil.copytree(warm / "models", data / "models", copy_function=link)
    if (warm / "calibration.json").is_file():
        shutil.copy2(warm / "calibration.json", data / "calibration.json")


def warm_up(tmp: Path, model: str, interval: float) -> tuple[Path, dict]:
    """Index and compare once over the seeds: every one-off cost (the embedder's graph; the model's
    Q8_0 copy and probe, and its stance calibration, since compare loads the model), measured."""
    data = tmp / "warm-data"
    run = Runner(ROOT / "seeds", data, model, tmp, interval)
    out = {"index": run.index(), "compare": run.compare()}
    return data, {k: {f: v[f] for f in ("wall_s", "cpu_s", "peak_pss_mb")} for k, v in out.items()}


def run_size(n: int, tmp: Path, warm: Path, args) -> dict:
    corpus, data = tmp / f"corpus-{n}", tmp / f"data-{n}"
    gen = generate(corpus, n, args.seed, corpora=args.corpora)
    data.mkdir()
    carry_caches(warm, data)
    run = Runner(corpus, data, args.model, tmp, args.interval)
    res: dict = {"n": n, "generate": {k: gen[k] for k in ("seconds", "words")}, "sources": gen["sources"]}
    print(f"[{n}] index ...", flush=True)
    res["index"] = run.index()
    print(f"[{n}] first ask ...", flush=True)
    res["first_ask"] = run.ask("view")
    ours: dict[str, list] = {"view": [], "fact": []}
    plain: dict[str, list] = {"view": [], "fact": []}
    for i in range(args.later):
        for kind in ("view", "fact"):
            print(f"[{n}] later ask {i + 1}/{args.later} ({kind}), then plain RAG ...", flush=True)
            ours[kind].append(run.ask(kind))
            plain[kind].append(run.plain(kind))
    print(f"[{n}] compare ...", flush=True)
    res["compare"] = run.compare()
    res["later_asks"] = {kind: summary(runs) for kind, runs in ours.items()}
    res["later_asks"]["all"] = summary(ours["view"] + ours["fact"], keep_runs=False)
    res["plain_rag"] = {kind: summary(runs) for kind, runs in plain.items()}
    res["plain_rag"]["all"] = summary(plain["view"] + plain["fact"], keep_runs=False)
    res["ratio_ask_to_plain"] = {kind: med([o["wall_s"] / p["wall_s"] for o, p in zip(ours[kind], plain[kind])]) for kind in ours}
    if not args.keep:
        shutil.rmtree(data, ignore_errors=True)
        shutil.rmtree(corpus, ignore_errors=True)
    return res


SUMMARY_KEYS = ("wall_s", "cpu_s", "peak_pss_mb", "peak_rss_mb", "before_flow_s", "answer_chars", "titles_in_answer", "json_bytes", "cards",
                "addresses", "mentions", "silent", "not_examined", "passages")
TIMING_KEYS = ("retrieval_s", "model_s", "first_token_s", "total_s")


def summary(runs: list[dict], *, keep_runs: bool = True) -> dict:
    """Medians over runs (and the flow's own timing), facts found, and the runs themselves."""
    out = {k: med([r.get(k) for r in runs]) for k in SUMMARY_KEYS if any(k in r for r in runs)}
    out.update({f"flow_{k}": med([(r.get("timing") or {}).get(k) for r in runs]) for k in TIMING_KEYS})
    facts = [r["fact_in_answer"] for r in runs if "fact_in_answer" in r]
    if facts:
        out["fact_in_answer"] = f"{sum(facts)}/{len(facts)}"
    out["n"] = len(runs)
    if keep_runs:
        out["runs"] = runs
    return out


def _f(x, fmt="{:.1f}") -> str:
    return "-" if x is None else fmt.format(x)


def table(res: dict) -> str:
    """The sizes side by side, one row per figure."""
    sizes = res["sizes"]
    rows: list[tuple[str, list[str]]] = [
        ("articles / passages indexed", [f"{s['index']['articles']} / {s['index']['passages']}" for s in sizes]),
        ("corpus words (generated in s)", [f"{s['generate']['words']['total']:,} ({s['generate']['seconds']:.1f})" for s in sizes]),
        ("index, fresh: wall s (cpu s)", [f"{s['index']['wall_s']:.1f} ({s['index']['cpu_s']:.1f})" for s in sizes]),
        ("index: peak PSS MB (of it: sync s)", [f"{s['index']['peak_pss_mb']:.0f} ({_f(s['index']['sync_s'])})" for s in sizes]),
        ("first ask (view): wall s (cpu s)", [f"{s['first_ask']['wall_s']:.1f} ({s['first_ask']['cpu_s']:.1f})" for s in sizes]),
        ("first ask: retrieval / model s", [f"{_f(s['first_ask']['timing']['retrieval_s'])} / {_f(s['first_ask']['timing']['model_s'])}" for s in sizes]),
        ("first ask: peak PSS MB", [f"{s['first_ask']['peak_pss_mb']:.0f}" for s in sizes]),
    ]
    for kind in ("view", "fact"):
        rows += [
            (f"later ask {kind}: median wall s (cpu s)", [f"{_f(s['later_asks'][kind]['wall_s'])} ({_f(s['later_asks'][kind]['cpu_s'])})" for s in sizes]),
            (f"  its retrieval / model / start-up s", [f"{_f(s['later_asks'][kind]['flow_retrieval_s'], '{:.2f}')} / {_f(s['later_asks'][kind]['flow_model_s'], '{:.2f}')}"
                                                       f" / {_f(s['later_asks'][kind]['before_flow_s'])}" for s in sizes]),
            (f"plain RAG {kind}: median wall s (cpu s)", [f"{_f(s['plain_rag'][kind]['wall_s'])} ({_f(s['plain_rag'][kind]['cpu_s'])})" for s in sizes]),
            (f"  ratio ask / plain RAG ({kind})", [_f(s["ratio_ask_to_plain"][kind], "{:.2f}") for s in sizes]),
        ]
    rows += [
        ("later asks: peak PSS MB, ours / plain", [f"{_f(s['later_asks']['all']['peak_pss_mb'], '{:.0f}')} / {_f(s['plain_rag']['all']['peak_pss_mb'], '{:.0f}')}" for s in sizes]),
        ("answer chars view / fact (plain)", [f"{_f(s['later_asks']['view']['answer_chars'], '{:.0f}')} / {_f(s['later_asks']['fact']['answer_chars'], '{:.0f}')}"
                                              f" ({_f(s['plain_rag']['view']['answer_chars'], '{:.0f}')} / {_f(s['plain_rag']['fact']['answer_chars'], '{:.0f}')})" for s in sizes]),
        ("titles named in the answer view / fact", [f"{_f(s['later_asks']['view'].get('titles_in_answer'), '{:.0f}')} / {_f(s['later_asks']['fact'].get('titles_in_answer'), '{:.0f}')}" for s in sizes]),
        ("ask JSON KB view / fact", [f"{_f(s['later_asks']['view']['json_bytes'] / 1024)} / {_f(s['later_asks']['fact']['json_bytes'] / 1024)}" for s in sizes]),
        ("cards (addresses/mentions/silent) + not examined, view", [f"{s['first_ask']['cards']} ({s['first_ask']['addresses']}/{s['first_ask']['mentions']}/{s['first_ask']['silent']})"
                                                                    f" + {s['first_ask'].get('not_examined', '-')}" for s in sizes]),
        (f"'{res['fact_needs']}' in fact answer: ours / plain", [f"{s['later_asks']['fact'].get('fact_in_answer', '-')} / {s['plain_rag']['fact'].get('fact_in_answer', '-')}" for s in sizes]),
        ("compare: wall s (cpu s)", [f"{s['compare']['wall_s']:.1f} ({s['compare']['cpu_s']:.1f})" for s in sizes]),
        ("compare: peak PSS MB, rows (+ not examined), JSON KB", [f"{s['compare']['peak_pss_mb']:.0f}, {s['compare']['rows']} (+{s['compare'].get('not_examined', '-')}),"
                                                                 f" {s['compare']['json_bytes'] / 1024:.0f}" for s in sizes]),
    ]
    head = ("articles", [str(s["n"]) for s in sizes])
    w0 = max(len(k) for k, _ in [head, *rows])
    widths = [max(len(v[i]) for _, v in [head, *rows]) for i in range(len(sizes))]
    line = lambda k, vs: f"{k:<{w0}}  " + "  ".join(f"{v:>{w}}" for v, w in zip(vs, widths))  # noqa: E731
    wu = res["warm_up"]
    foot = [f"model {res.get('model')}; later rounds {res['later_rounds']} (each: view + fact, each beside the plain RAG); "
            f"load average {res['machine']['load_avg_start'][0]:.1f} -> {res['machine']['load_avg_end'][0]:.1f} on {res['machine']['cpus']} CPUs",
            "warm-up over the seeds (one-off caches, not in the sizes' figures): "
            + ", ".join(f"{k} {v['wall_s']:.1f} s" for k, v in wu.items())]
    return "\n".join([line(*head), *(line(k, v) for k, v in rows), "", *foot])


def _git_state() -> dict:
    """Which code was measured: the checkout's commit, and whether it had uncommitted changes."""
    def git(*a):
        try:
            return subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True, timeout=20).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    return {"commit": git("rev-parse", "HEAD") or None, "uncommitted_changes": bool(git("status", "--porcelain", "--untracked-files=no"))}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="corpus sizes (articles), default 5 50 200 1000")
    ap.add_argument("--model", default="default", help="default (bundled), stub, or a path to a .gguf")
    ap.add_argument("--later", type=int, default=3, help="rounds of later asks (each: the view and the fact question, each beside the plain RAG)")
    ap.add_argument("--seed", type=int, default=0, help="corpus generator seed")
    ap.add_argument("--corpora", default=None, help="folder of subject folders to draw from (default: tests/eval/corpora if present); 'none': seeds only")
    ap.add_argument("--interval", type=float, default=SAMPLE_S, help="seconds between memory samples (default 0.02; each costs a walk of the processes' pages)")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results"), help="folder for the JSON results")
    ap.add_argument("--keep", action="store_true", help="keep the generated corpora and data dirs (their folder is printed)")
    args = ap.parse_args(argv)
    if args.later < 1 or any(n < 1 for n in args.sizes):
        ap.error("--later and --sizes must be at least 1")

    tmp = Path(tempfile.mkdtemp(prefix="perspectives-scale-"))
    res: dict = {"when": time.strftime("%Y-%m-%dT%H:%M:%S"), "model_arg": args.model, "seed": args.seed,
                 "questions": QUESTIONS, "fact_needs": FACT_NEEDS, "topic": TOPIC, "later_rounds": args.later,
                 "sample_interval_s": args.interval, "code": _git_state(),
                 "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load_avg_start": os.getloadavg()},
                 "sizes": []}
    try:
        print("warm-up over the seeds (one-off model caches) ...", flush=True)
        warm, res["warm_up"] = warm_up(tmp, args.model, args.interval)
        for n in args.sizes:
            res["sizes"].append(run_size(n, tmp, warm, args))
            res["model"] = res["sizes"][-1]["first_ask"]["model"]
    finally:
        if args.keep:
            print(f"kept: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    res["machine"]["load_avg_end"] = os.getloadavg()
    me = resource.getrusage(resource.RUSAGE_SELF)
    res["machine"]["bench_own_cpu_s"] = round(me.ru_utime + me.ru_stime, 2)  # generating corpora, sampling memory
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{time.strftime('%Y%m%d-%H%M%S')}-scale.json"
    path.write_text(json.dumps(res, indent=1, ensure_ascii=False), encoding="utf-8")
    print(table(res))
    print(f"\nwritten: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
