"""Suggest topics to compare, drawn from the corpus itself (deterministic, no model).

Scope: key phrases (two- and three-word n-grams inside sentences, without stopwords at
either end) scored by TF-IDF over passages, kept only when at least two articles use them
(a topic only one article mentions cannot be compared), and de-duplicated. Not here:
turning a topic into a claim (compare.py does that).
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass

from app.corpus.lexicon import STOPWORDS, TOPIC_FILLER, fold

_STOP = STOPWORDS | TOPIC_FILLER  # no phrase starts or ends with these
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")


@dataclass(frozen=True)
class Topic:
    topic: str  # the key phrase
    articles: int  # how many articles use the phrase
    passages: int  # how many passages use it
    score: float


def _phrases(text: str, sizes=(2, 3)) -> list[str]:
    out = []
    for sentence in re.split(r"[.!?;:,()\[\]“”\"\n]+", text):
        words = [fold(w) for w in _WORD.findall(sentence)]
        for n in sizes:
            for i in range(len(words) - n + 1):
                gram = words[i:i + n]
                if gram[0] in _STOP or gram[-1] in _STOP or any(len(w) < 3 for w in (gram[0], gram[-1])):
                    continue
                if sum(w not in _STOP for w in gram) < 2:
                    continue
                out.append(" ".join(gram))
    return out


def key_phrases(passages, *, min_articles: int = 2) -> list[Topic]:
    """Every candidate phrase with its TF-IDF score, best first (ties broken alphabetically)."""
    tf: Counter = Counter()
    df: Counter = Counter()
    arts: dict[str, set] = defaultdict(set)
    for p in passages:
        grams = _phrases(p.text)
        tf.update(grams)
        for g in set(grams):
            df[g] += 1
            arts[g].add(p.article_id)
    n = max(len(passages), 1)
    n_articles = len({p.article_id for p in passages}) or 1
    topics = []
    for g, count in tf.items():
        a = len(arts[g])
        if a < min(min_articles, n_articles) or count < 2:
            continue
        # common enough to compare (articles), specific enough to mean something (idf)
        score = (1 + math.log(count)) * math.log(1 + n / df[g]) * a * (1.15 if " " in g and g.count(" ") == 2 else 1.0)
        topics.append(Topic(g, a, df[g], round(score, 4)))
    return sorted(topics, key=lambda t: (-t.score, t.topic))


def suggest_topics(pipe, n: int = 8) -> list[Topic]:
    """The `n` best key phrases of the corpus, skipping near-duplicates of ones already chosen."""
    chosen: list[Topic] = []
    for t in key_phrases(pipe.passages):
        words = set(t.topic.split())
        if any(words <= set(c.topic.split()) or set(c.topic.split()) <= words for c in chosen):
            continue
        chosen.append(t)
        if len(chosen) == n:
            break
    return chosen
