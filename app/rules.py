"""Every threshold and weight that decides what a reader is shown, declared once.

Scope: one frozen `Rules` object. Each field carries its bounds and, in its description, the
measured reason for its value (figures in models.md, "Rules"). Retrieval, silence, the answer's
lead, the support check and follow-up detection read their numbers from here; nothing else
declares one. `python -m app.eval --rule NAME=VALUE` runs the eval with one changed.
Not here: word lists (app/corpus/lexicon.py), user settings such as how many articles are
read or shown (app/settings.py), model generation lengths.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.errors import InputError


def rule(default: Any, why: str, **bounds) -> Any:
    """One rule: its value, its bounds (`ge`, `le`) and the measured reason, in one line."""
    return Field(default, description=why, **bounds)


class Rules(BaseModel):
    """The rules in force. Frozen: `with_(name=value)` gives a validated copy."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # -- ranking an article's sentences ------------------------------------------------------
    term_weight: float = rule(0.35, "Key-term coverage added to a sentence's cosine; sentences holding the question's rare words rank first.", ge=0, le=2)
    number_weight: float = rule(0.08, "Bonus for a number when the question asks for one (how many / when).", ge=0, le=1)
    passage_lift: tuple[float, ...] = rule((0.04, 0.02, 0.01), "Small bonus by the rank of the retrieved passage that holds the sentence.")
    min_words: int = rule(5, "Shorter 'sentences' are headings or captions and are never key sentences.", ge=1, le=50)
    key_margin: float = rule(0.08, "A second key sentence must score within this of the best (0.2 cost a Most direct line).", ge=0, le=1)
    subject_share: float = rule(0.2, "A stem in this share of the corpus's sentences is its subject and is left out of the ranking vector "
                                "(answer sentence first 0.35 -> 0.47 of dev pairs).", ge=0.01, le=1)
    synonym_credit: float = rule(0.6, "A related word counts this much of the word itself as evidence the sentence is about the term.", ge=0, le=1)
    related_min_cosine: float = rule(0.55, "Corpus words whose MiniLM vector has this cosine with a question term's count as related to it "
                                     "(funding ~ funds, money, grants; company ~ firms, business); LOCO chose 0.55 of 0.55-0.75 on all four tuning corpora.",
                                     ge=0, le=1.01)
    related_most: int = rule(6, "At most this many related words per question term, closest first.", ge=0, le=50)
    related_min_sentences: int = rule(2, "Only words in at least this many of the corpus's sentences get a vector (index time).", ge=1, le=100)
    common_name_share: float = rule(0.8, "A name in this share of the articles is the event's own and never answers 'who / which' alone.", ge=0, le=1.01)
    turn_within: int = rule(4, "Paragraphs ahead a paragraph that turns the key sentence down may stand and still be shown with it.", ge=0, le=50)
    own_voice: float = rule(0.03, "A view question's sentence not giving someone's words in quotation marks ranks this much higher, so a card "
                            "shows the article's own view first (a preference: a better quote still wins; reported speech keeps it, an "
                            "expert's 'X said that…' carried a fact). Stub, seeds dev: cards quoting the article's answer 0.608 -> 0.627.",
                            ge=0, le=1)

    # -- silence for questions: "Does not address this" only where the absence is clear; an
    # article on the question's subject is at worst "may not address it", with its closest sentences.
    silence_floor: float = rule(0.2, "The best sentence's cosine with the question below this: silent (the `floor` setting; 0.1 and 0.2 tie "
                                "on every tuning corpus).", ge=-1, le=1)
    silent_share: float = rule(0.5, "Evidence under this share of the best article's score: silent (leave-one-corpus-out chose 0.5 of "
                               "0.35/0.5/0.6 on all four tuning corpora: pooled addressing flat-silent 0.018, silent shown flat 0.33; "
                               "0.35 flat-silenced 0.176 of silent ones, 0.6 flat-silenced 0.036 of addressing).", ge=0, le=1)
    absent_silent: float = rule(0.8, "At least this rarity-weighted share of the question's terms (related words included) found nowhere "
                                "in the article... (LOCO chose 0.8 of 0.7-0.9 for 3 of 4 corpora; 0.7 flat-silenced 5% of addressing)", ge=0, le=1.01)
    absent_silent_share: float = rule(0.95, "...and evidence below this share of the best article's: silent (it never approaches the subject).",
                                      ge=0, le=1.01)
    min_coverage: float = rule(0.01, "Key sentences without a single key term or related word: silent.", ge=0, le=1)
    sure_share: float = rule(0.8, "Not silent and at least this share of the best article's score (and, for a fact, holding an answer of "
                             "the asked kind): addresses it; below: 'may not address it' (LOCO chose 0.8 of 0.7-0.9 for 3 of 4 corpora).",
                             ge=0, le=1.01)
    passing_sentences: int = rule(2, "A question term in at most this many of an article's sentences is mentioned 'only in passing' "
                                  "(the reason shown on an unsure card).", ge=0, le=20)

    # -- silence for compare topics (a topic's two words; every article on the event touches several)
    topic_silent_share: float = rule(0.3, "Rows under this share of the best row's score: not addressed (no gold discussing row lost).", ge=0, le=1)
    topic_absent_share: float = rule(0.45, "A row whose title and text hold none of the topic's distinctive words (not the event's own "
                                     "names; used by some read article), related words included, and under this share of the best row's: not "
                                     "addressed (stub, tuning corpora: caught 0.136 -> 0.272, none addressing lost; 0.5 lost one on the seeds).",
                                     ge=0, le=1.01)
    topic_sure_share: float = rule(0.6, "Rows under this share: 'may not address it'.", ge=0, le=1.01)
    topic_min_coverage: float = rule(0.01, "A row's evidence must hold one of the topic's words or a related word.", ge=0, le=1)

    # -- the answer -------------------------------------------------------------------------
    same_fact_share: float = rule(0.8, "An unsure card giving the lead's answer and ranking this close to it addresses the question.", ge=0, le=2)
    answer_chars: int = rule(1500, "The answer paragraph's length at which a model sentence, then the second Most direct quote, give way "
                             "(the cards hold the rest; readable at any corpus size).", ge=200, le=100_000)
    model_room: int = rule(250, "Of answer_chars, what the lead leaves for the model's one sentence: a longer lead gives listed articles' "
                           "outlets and dates together (the quoted ones' each), then one Most direct line, and fewer values that differ (200 generated articles: longest "
                           "answer 1,419 characters with it).", ge=0, le=100_000)
    most_direct: int = rule(2, "Articles quoted in a view answer's Most direct line (8 -> 11 of 15 dev lines quote an answer with two).", ge=1, le=6)

    # -- the support check on model sentences ------------------------------------------------
    min_overlap: float = rule(0.75, "Share of a model sentence's content words found in its cited quotes (0.6 let 4 of 7 added claims through).", ge=0, le=1)
    max_new_words: int = rule(2, "Content words of its own a model sentence may add (three carried a new claim in review).", ge=0, le=20)

    # -- follow-ups -------------------------------------------------------------------------
    ellipsis_words: int = rule(3, "A question this short naming nothing needs the one before it ('Why?', 'In which year?').", ge=0, le=20)

    def with_(self, **changes: Any) -> "Rules":
        """A validated copy with some rules changed."""
        return type(self).model_validate({**self.model_dump(), **changes})

    def with_text(self, assignments: list[str]) -> "Rules":
        """A copy with `NAME=VALUE` assignments (the eval's --rule); a bad name or value is an InputError."""
        changes: dict[str, Any] = {}
        for text in assignments:
            name, sep, value = text.partition("=")
            name = name.strip()
            if not sep or name not in type(self).model_fields:
                raise InputError(f"Unknown rule {text!r}: write NAME=VALUE with NAME one of {', '.join(type(self).model_fields)}.")
            changes[name] = tuple(v for v in value.split(",") if v.strip()) if "," in value else value.strip()
        try:
            return self.with_(**changes)
        except ValidationError as exc:
            raise InputError(f"Bad rule value: {exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}.") from exc


RULES = Rules()
