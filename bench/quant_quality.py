"""Does re-storing the bundled Q4_1 weights as Q8_0 / F16 change what the model says?

    python bench/quant_quality.py            # first 8 eval questions
    python bench/quant_quality.py --limit 28

For the map (viewpoint) prompts the pipeline builds for questions of
tests/eval/questions.jsonl (captured with the stub model, so retrieval is identical), the
shipped Q4_1 model answers greedily; each derived file then reads the same prompt + answer
and we report, over the answer positions: how often its top token equals Q4_1's (the
greedy continuation would be identical), the mean KL divergence KL(Q4_1 || derived), and
how many complete greedy answers are identical. Not here: speed (bench/run.py).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=8)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--types", default="Q8_0,F16")
    args = ap.parse_args(argv)

    from app.eval.answers import load_questions
    from app.llm.loader import default_model_path
    from app.llm.llama import LlamaModel, derived_gguf
    from app.answer.ask import ask
    from app.pipeline import build_pipeline
    from app.settings import Settings

    tmp = Path(tempfile.mkdtemp(prefix="perspectives-quant-"))
    try:
        pipe = build_pipeline(Settings(data_dir=tmp / "data", model="stub"))
        prompts = []
        for q in load_questions()[: args.limit]:
            pipe.model.history.clear()
            ask(pipe, q["question"])
            prompts += [c["messages"] for c in pipe.model.history if "Excerpts from the article" in c["messages"][-1]["content"]]
        src = default_model_path()
        base = LlamaModel(src, threads=args.threads or None)
        refs = []
        for msgs in prompts:
            text = "".join(base.generate(msgs, max_tokens=60))
            p = base._chat_prompt(msgs)
            out = base._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)
            if not out:
                continue
            refs.append((msgs, p, out, text))
        ref_logits = [_logits(base, p, o) for _, p, o, _ in refs]
        del base
        print(f"{len(prompts)} viewpoint prompts from {args.limit} questions; reference: {src.name}")
        for quant in args.types.split(","):
            m = LlamaModel(derived_gguf(src, quant, tmp / "models"), threads=args.threads or None)
            agree = kl = n = same = 0
            for (msgs, p, o, text), ref in zip(refs, ref_logits):
                lg = _logits(m, p, o)
                agree += int((lg.argmax(1) == ref.argmax(1)).sum())
                kl += float(_kl(ref, lg).sum())
                n += len(o)
                same += "".join(m.generate(msgs, max_tokens=60)) == text
            print(f"{quant:5s} top-1 agreement {agree / n:.4f} over {n} answer tokens; mean KL {kl / n:.5f} nats; identical answers {same}/{len(refs)}")
            del m
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def _logits(model, prompt: list[int], answer: list[int]) -> np.ndarray:
    """The model's next-token logits before each answer token (prompt in one batch, then
    the answer fed back one token at a time, as in generation)."""
    import llama_cpp

    llm = model._llm
    llm.reset()
    llm.eval(prompt)
    out = []
    for tok in answer:
        out.append(np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(llm.ctx, -1), shape=(llm.n_vocab(),)).copy())
        llm.eval([tok])
    return np.array(out, dtype=np.float64)


def _kl(p_logits: np.ndarray, q_logits: np.ndarray) -> np.ndarray:
    def logsoftmax(x):
        x = x - x.max(1, keepdims=True)
        return x - np.log(np.exp(x).sum(1, keepdims=True))

    lp, lq = logsoftmax(p_logits), logsoftmax(q_logits)
    return (np.exp(lp) * (lp - lq)).sum(1)


if __name__ == "__main__":
    sys.exit(main())
