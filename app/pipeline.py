"""Build the objects every interface shares: corpus, index, retriever, model.

`build_pipeline(settings)` is what the CLI, the web app, batch runs, tests and the
benchmark all call, so they run the same code. The model loads lazily (indexing needs none).
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from app.corpus.chunks import Passage
from app.corpus.articles import Article, load_corpus
from app.corpus.cache import CorpusCache
from app.index.embed import Embedder
from app.index.store import Index, SyncReport, open_index
from app.llm import Model, load_model
from app.llm.loader import DEFAULT_MODEL_NAME, DEFAULT_MODEL_PARAMETERS
from app.index.sentences import SentenceStore
from app.retrieve.corpus_words import CorpusWords
from app.retrieve.evidence import ArticleEvidence, EvidenceFinder
from app.retrieve.hybrid import Retriever
from app.retrieve.related import RelatedWords
from app.rules import RULES, Rules
from app.settings import Settings, llm_api_key


class ReadWriteLock:
    """Many readers at once, or one writer; a waiting writer holds back new readers.

    The web app answers several questions at once (their retrieval reads the corpus and the
    index) while an upload or a model change must see no reader in flight. Small enough not
    to need a dependency.
    """

    def __init__(self):
        self._cond = threading.Condition()
        self._readers = 0
        self._writing = False
        self._writers_waiting = 0

    @contextlib.contextmanager
    def reading(self):
        with self._cond:
            self._cond.wait_for(lambda: not self._writing and not self._writers_waiting)
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextlib.contextmanager
    def writing(self):
        with self._cond:
            self._writers_waiting += 1
            self._cond.wait_for(lambda: not self._writing and not self._readers)
            self._writers_waiting -= 1
            self._writing = True
        try:
            yield
        finally:
            with self._cond:
                self._writing = False
                self._cond.notify_all()


@dataclass
class Pipeline:
    settings: Settings
    articles: list[Article]
    passages: list[Passage]
    index: Index
    retriever: Retriever
    embedder: Embedder
    sync_report: SyncReport
    skipped: list[str] = field(default_factory=list)
    _model: Model | None = None
    _model_lock: threading.Lock = field(default_factory=threading.Lock)
    load_seconds: dict = field(default_factory=dict)
    sentences: SentenceStore | None = None
    evidence: EvidenceFinder | None = None
    # find_evidence reads under `corpus_lock`; reload and set_model write (see ReadWriteLock).
    corpus_lock: ReadWriteLock = field(default_factory=ReadWriteLock)
    rules: Rules = RULES  # every threshold (app/rules.py)

    @property
    def model(self) -> Model:
        with self._model_lock:
            if self._model is None:
                t0 = time.perf_counter()
                self._model = load_model_for(self.settings)
                self.load_seconds["model"] = time.perf_counter() - t0
            return self._model

    @property
    def model_parameters(self) -> int | None:
        """The model's weight count (None: unknown); the bundled model's is known without loading it."""
        known = known_parameters(self.settings) if self._model is None else None
        return known if known is not None else self.model.parameters

    @property
    def model_name(self) -> str:
        """The model's display name, without loading it (answers that needed no model call)."""
        if self._model is not None:
            return self._model.name
        if uses_default_model(self.settings):
            return DEFAULT_MODEL_NAME
        return self.settings.llm_url or self.settings.model

    def set_model(self, model: Model) -> None:
        with self.corpus_lock.writing(), self._model_lock:
            self._model = model

    def find_evidence(self, question: str, **options) -> list[ArticleEvidence]:
        """Each article's evidence for a question (EvidenceFinder.find), read under the corpus
        lock, so an upload or model change in another session waits until it is done."""
        with self.corpus_lock.reading():
            return self.evidence.find(question, **options)

    def question_terms(self, question: str):
        """What the question asks, in the corpus's words (EvidenceFinder.terms)."""
        return self.evidence.terms(question)

    def article(self, article_id: str) -> Article:
        return next(a for a in self.articles if a.id == article_id)

    def reload(self, *, progress: bool = False, force: bool = False) -> SyncReport:
        """Re-read the article folder and bring the index up to date (after an upload, say)."""
        with self.corpus_lock.writing():
            return self._reload(progress, force)

    def _reload(self, progress: bool, force: bool) -> SyncReport:
        skipped: list[str] = []
        cache = CorpusCache(self.settings.data_dir / "index" / "corpus.json")
        articles = load_corpus(self.settings.seeds, on_skip=lambda p, m: skipped.append(m), known=cache.known)
        report = self.index.sync(articles, progress=progress, force=force)
        self.sentences.ensure(articles, progress=progress)  # index-time work: a question never embeds the corpus
        words = CorpusWords.build(articles, self.settings.data_dir / "index" / "words")
        related = RelatedWords.build(words, self.embedder, self.settings.data_dir / "index" / "words", self.rules.related_min_sentences)
        passages = [p for a in articles for p in cache.passages(a)]
        cache.keep(articles)
        self.articles, self.passages, self.skipped, self.sync_report = articles, passages, skipped, report
        self.retriever = Retriever(articles, passages, self.index, self.embedder, cache_dir=self.settings.data_dir / "index")
        self.evidence = EvidenceFinder(self.retriever, self.sentences, self.rules, words=words, related=related,
                                       candidates=self.settings.candidates)
        return report


def load_model_for(settings: Settings) -> Model:
    """The model these settings name, loaded with the options they imply (CLI and web app alike)."""
    return load_model(settings.llm_url or settings.model, **model_options(settings))


def uses_default_model(settings: Settings) -> bool:
    return not settings.llm_url and settings.model in ("", "default")


def known_parameters(settings: Settings) -> int | None:
    """The model's weight count where it is known without loading it: the bundled model's."""
    return DEFAULT_MODEL_PARAMETERS if uses_default_model(settings) else None


def loads_in_a_worker(settings: Settings) -> bool:
    return not settings.llm_url and settings.model != "stub" and settings.model_process == "worker"


def model_options(settings: Settings) -> dict:
    """What `load_model` needs besides the model's name, from the settings."""
    if settings.llm_url:  # a model server replaces the in-process model
        return {"n_ctx": settings.n_ctx, "model": settings.llm_model, "timeout": settings.llm_timeout,
                "api_key": llm_api_key(), "schema_mode": None if settings.llm_schema_mode == "auto" else settings.llm_schema_mode}
    if settings.model == "stub":
        return {"delay": settings.stub_delay} if settings.stub_delay else {}
    opts = {"n_ctx": settings.n_ctx, "extra_bufts": settings.extra_bufts, "process": settings.model_process,
            "cache_dir": settings.data_dir / "models"}
    if uses_default_model(settings):  # the bundled model, re-stored for speed (models.md, ## Speed)
        opts["default_quant"] = settings.default_quant
    if settings.threads:
        opts["threads"] = settings.threads
    return opts


def build_pipeline(settings: Settings, *, progress: bool = False, notify: Callable[[str], None] | None = None, model: Model | None = None,
                   preload_model: bool = False, rules: Rules | None = None) -> Pipeline:
    """Load the corpus, sync the index (embedding only what changed) and get ready to answer.
    `rules`: thresholds other than the declared ones (the eval's --rule).

    `preload_model`: start the model first when it runs in a worker process, so it loads while
    the index syncs (a command that will ask the model; its errors then come first)."""
    if preload_model and model is None and loads_in_a_worker(settings):
        model = load_model_for(settings)
    t0 = time.perf_counter()
    embedder = Embedder(settings.embed_model, threads=settings.threads or 0, cache_dir=settings.data_dir / "models")
    t1 = time.perf_counter()
    index = open_index(settings.data_dir, embedder, chroma_url=settings.chroma_url, notify=notify)
    pipe = Pipeline(settings, [], [], index, None, embedder, SyncReport(), sentences=index.sentences,
                    rules=rules or RULES.with_(silence_floor=settings.floor))  # type: ignore[arg-type]
    pipe.reload(progress=progress)
    if notify:
        for msg in pipe.skipped:
            notify(f"Skipped article: {msg}")
    pipe.load_seconds.update(embedder=t1 - t0, index=time.perf_counter() - t1)
    if model is not None:
        pipe.set_model(model)
    return pipe
