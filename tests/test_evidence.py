"""Evidence rules: honest silence, facts that carry the fact, sentences an article turns down.

A worked example of the silence rule small enough to follow by hand (`decide` on made-up
scores), then a three-article corpus (real embedder and Chroma in tmp_path, stub model) where
one article addresses each question and two are silent.
"""

from __future__ import annotations

import pytest

from app.answer.ask import ask, lead
from app.answer.leaning import with_context
from app.answer.results import Evidence, Perspective
from app.corpus.articles import Article
from app.pipeline import build_pipeline
from app.rules import RULES
from app.retrieve.evidence import ADDRESSES, MENTIONS, SILENT, ArticleEvidence, Scored, later_turn, absent_share, decide, passing_reason, leans_back, qualifies_previous, rejects_previous
from app.retrieve.terms import analyse
from app.settings import Settings

LIGHTHOUSE = """The lighthouse of Port Velmar

The lighthouse of Port Velmar was closed by the harbour board after a winter storm cracked its lamp room. The board said that repairing the tower would cost more than the town could pay, and that modern satellite navigation had made the light unnecessary for most ships.

Fishermen protested against the closure of the lighthouse. They said that small boats without satellite receivers still depend on the light to find the harbour entrance at night. Some say the closure will save the town money for years. The reality is more complicated.

The harbour board has held two meetings since the storm. One thing is clear about the harbour board. Among its 14 members, most are retired captains, with an average age of 61.
"""
MARKET = """A new fish market for Port Velmar

Port Velmar opened a covered fish market on the quay this spring. Traders who used to sell from open stalls now have cold rooms, running water and a roof against the rain.

The market hall was paid for by the regional government and by a group of local traders. It holds forty stalls and a small cafe where visitors can taste the morning catch.

Tourists have started to visit the market on weekends, and the traders hope that the new hall will bring more visitors to the old town during the summer season.
"""
SCHOOL = """Port Velmar's school gets a science lab

The primary school of Port Velmar received a new science laboratory this year. Children can now run simple experiments with water, light and magnets during their lessons.

Teachers say the lab has changed how pupils learn. Instead of reading about experiments, they carry them out themselves and write down what they see.

Parents raised part of the money at a summer fair, and a local engineering firm donated microscopes and tools for the workbenches.
"""


@pytest.fixture(scope="module")
def town(tmp_path_factory):
    root = tmp_path_factory.mktemp("town")
    seeds = root / "seeds"
    seeds.mkdir()
    for name, text in (("a_lighthouse", LIGHTHOUSE), ("b_market", MARKET), ("c_school", SCHOOL)):
        (seeds / f"{name}.txt").write_text(text, encoding="utf-8")
    return build_pipeline(Settings(data_dir=root / "data", seeds=seeds, model="stub"))


# -- the silence rule, by hand ------------------------------------------------------------

def _evidence(name: str, strength: float, coverage: float, cosine: float = 0.6) -> ArticleEvidence:
    text = f"The {name} article says something about the harbour."
    art = Article(name, name, name, text, f"{name}.txt", sha256=name)
    key = Scored(0, len(text), text, f"{name}:0", strength, cosine, coverage)
    return ArticleEvidence(art, [], key=[key], strength=strength, coverage=coverage, cosine=cosine)


def test_flat_silence_only_where_the_absence_is_clear():
    """An article on the question's subject is at worst "may not address it": behind the best
    article, or weak on the question's words, is unsure, not silent. Silent: far behind, or
    without a single key term in its evidence, or (next test) never using most of the question."""
    found = [
        _evidence("best", 1.0, 0.5),
        _evidence("behind_but_wordy", 0.65, 0.5),  # the subject in many of the question's words, scored lower
        _evidence("close_but_few_words", 0.9, 0.15),  # near the best article in meaning
        _evidence("behind_and_few_words", 0.7, 0.15),
        _evidence("far_behind", 0.15, 0.5),
        _evidence("no_key_term", 0.9, 0.0),
    ]
    decide(found, analyse("Why was the harbour lighthouse closed?"), RULES)
    assert [ev.status for ev in found] == [ADDRESSES, MENTIONS, ADDRESSES, MENTIONS, SILENT, SILENT]


def test_a_lower_silence_bar_is_one_rule_away():
    found = [_evidence("best", 1.0, 0.5), _evidence("behind", 0.3, 0.5)]
    decide(found, analyse("Why was the harbour lighthouse closed?"), RULES.with_(silent_share=0.35))
    assert found[1].status == SILENT


def test_an_unsure_article_says_why_in_a_few_words():
    qt = analyse("Why did the harbour board close the lighthouse?")
    weights = [1.0, 1.0, 1.0, 5.0]  # "lighthouse" is the rarest term
    assert [t.word for t in qt.terms] == ["harbour", "board", "close", "lighthouse"]
    never = [{"harbour", "board"}, {"harbour"}]
    passing = [{"harbour", "lighthous"}, {"board"}, {"harbour"}, {"close"}]
    often = [{"lighthous"}, {"lighthous", "close"}, {"lighthous"}]
    assert passing_reason(qt, weights, never, 2) == "never mentions lighthouse"
    assert passing_reason(qt, weights, passing, 2) == "mentions lighthouse only in passing"
    assert passing_reason(qt, weights, often, 2) == ""


@pytest.mark.parametrize("absent, share, status", [
    (0.8, 0.9, SILENT),  # never uses most of the question's words, and not the best article
    (0.8, 1.0, ADDRESSES),  # ...but it is the best article: the question may use other words
    (0.6, 0.9, ADDRESSES),  # some of them: the words alone do not decide
])
def test_an_article_that_never_uses_the_questions_words_is_silent(absent, share, status):
    """Session 13 (dev split): articles close to the question's subject in meaning ("DeepSeek's
    founder") but never naming what it asks about ("Xi Jinping", "approval") were shown as
    addressing it."""
    found = [_evidence("best", 1.0, 0.5), _evidence("other", share, 0.5)]
    found[1].absent = absent
    decide(found, analyse("How did Xi Jinping show his approval of the founder?"), RULES)
    assert found[1].status == status


def test_sentences_are_ranked_without_the_corpus_subject_words(town):
    """"harbour" and "board" are in over a fifth of the town corpus's sentences: MiniLM's cosine
    would follow them rather than what the question asks about them (session 13: "DeepSeek")."""
    assert town.evidence._focus("What does the harbour board say about the lighthouse's cost?") == "What does the say about the lighthouse's cost?"
    assert town.evidence._focus("Why was the lighthouse closed?") == ""  # nothing to leave out: the question itself


def test_absent_words_are_measured_over_the_whole_article(town):
    """The lighthouse article never names a market, a stall or a trader."""
    found = town.find_evidence("How many stalls does the covered fish market hold, and who paid for the hall?")
    absent = {ev.article.id: ev.absent for ev in found}
    assert absent["b_market"] == 0.0
    assert absent["a_lighthouse"] > 0.5


def test_the_form_of_a_question_is_not_its_subject():
    """ "How old… how big…" asks for numbers; "old" and "big" are not what an article must
    name to address it (they counted as absent words), and neither is "let"."""
    assert [t.stem for t in analyse("How old are the harbour board's members, and how big is the board?").terms] == ["harbour", "board", "member"]
    assert [t.stem for t in analyse("What let the town close the lighthouse?").terms] == ["town", "close", "lighthous"]


def test_synonyms_in_a_question_are_one_idea_when_counting_absent_words():
    """ "Did the state deserve credit…" in an article that never says "credit": one idea is
    missing, not two (it made the best article on the corpus's main question unsure)."""
    merit = {"deserv", "credit", "merit"}
    qt = analyse("Does the harbour board deserve credit for the lighthouse?", related=lambda form, stem: merit if stem in merit else ())
    assert [t.stem for t in qt.terms] == ["harbour", "board", "deserv", "credit", "lighthous"]
    assert absent_share(qt, [1.0] * 5, {"harbour", "board", "lighthous"}) == pytest.approx(1 / 4)
    assert absent_share(qt, [1.0] * 5, {"harbour", "board", "lighthous", "merit"}) == 0.0


def _spans(text: str):
    """Sentence spans of `text`, one per sentence (a sentence ends at ". ")."""
    import re
    from types import SimpleNamespace
    return [SimpleNamespace(start=m.start(), end=m.end()) for m in re.finditer(r"[^\s][^.]*\.", text)]


POPULAR_VIEW_THEN_TURN = (
    "For many people, the new harbour is a victory for the town.\n\n"
    "The mayor said so at the opening. Crowds cheered.\n\n"
    "Boats came from far away.\n\n"
    "The reality is more complicated. The harbour silts up every winter.\n\n"
)


def test_a_paragraph_that_turns_down_the_ones_before_comes_with_the_view_it_answers():
    """Session 12/13 review: 000's opening "victory for the Chinese education system" was quoted
    without "The reality is more complicated.", three paragraphs on."""
    spans = _spans(POPULAR_VIEW_THEN_TURN)
    turn = next(j for j, s in enumerate(spans) if POPULAR_VIEW_THEN_TURN[s.start:s.end] == "The reality is more complicated.")
    assert later_turn(POPULAR_VIEW_THEN_TURN, spans, 0) == [turn]
    assert later_turn(POPULAR_VIEW_THEN_TURN, spans, turn + 1) == []  # nothing after it turns it down


def test_a_connective_turn_answers_only_the_paragraph_before_it():
    """Session-13 review, Q8/004: "However, this so-called independent innovation path…" was
    shown after a key sentence two paragraphs up; it answers its own antecedent only."""
    local = POPULAR_VIEW_THEN_TURN.replace("The reality is more complicated.", "However, this is not the whole story.")
    spans = _spans(local)
    turn = next(j for j, s in enumerate(spans) if local[s.start:s.end].startswith("However"))
    assert later_turn(local, spans, 0) == []  # three paragraphs up
    boats = next(j for j, s in enumerate(spans) if local[s.start:s.end].startswith("Boats"))
    assert later_turn(local, spans, boats) == [turn]  # the paragraph right before


@pytest.mark.parametrize("sentence, qualifies", [
    ("But it is important that the right conclusions are drawn from this.", True),
    ("However, the board disagreed.", True),
    ("The reality is more complicated.", True),
    ("Butter prices rose.", False),
    ("The board met twice.", False),
])
def test_a_sentence_that_qualifies_the_one_before_comes_with_it(sentence, qualifies):
    """Session-13 review, Q5/002: "Apparently, the government has done certain things well." was
    the Most direct line without the article's "But it is important that the right conclusions…"."""
    assert qualifies_previous(sentence) is qualifies


def test_a_paragraph_that_concedes_is_no_turn():
    conceding = POPULAR_VIEW_THEN_TURN.replace("The reality is more complicated.", "This does not deny that the harbour works.")
    assert later_turn(conceding, _spans(conceding), 0) == []


def test_a_turn_further_than_four_paragraphs_on_answers_something_else():
    far = POPULAR_VIEW_THEN_TURN.replace("Boats came from far away.\n\n", "Boats came.\n\nNets dried.\n\nGulls flew.\n\n")
    assert later_turn(far, _spans(far), 0) == []


def test_topic_rule_keeps_articles_that_touch_the_topic_in_few_words():
    found = [_evidence("best", 1.0, 0.5), _evidence("behind_and_few_words", 0.7, 0.15)]
    decide(found, analyse("harbour lighthouse"), RULES, topic=True)
    assert found[1].status != SILENT


# -- on a small corpus --------------------------------------------------------------------

def _status(pipe, question: str) -> dict[str, str]:
    return {ev.article.id: ev.status for ev in pipe.evidence.find(question)}


def test_articles_about_something_else_are_silent_and_named(town):
    assert _status(town, "Why was the lighthouse closed?") == {"a_lighthouse": ADDRESSES, "b_market": SILENT, "c_school": SILENT}
    res = ask(town, "Why was the lighthouse closed?")
    assert "«A new fish market for Port Velmar» and «Port Velmar's school gets a science lab» do not address it." in res.answer
    assert [p.quotes for p in res.perspectives if p.status == SILENT] == [[], []]


def test_a_number_in_words_brings_the_neighbour_with_digits(town):
    res = ask(town, "How old are the harbour board's members?")
    card = res.perspectives[0]
    assert "Among its 14 members, most are retired captains, with an average age of 61." in [q.text for q in card.quotes]
    assert "two meetings" not in " ".join(q.text for q in card.quotes)  # the neighbour with a word number is not taken
    assert "average age of 61" in res.answer


def test_a_sentence_the_article_turns_down_is_shown_with_its_rejection(town):
    res = ask(town, "Will closing the lighthouse save the town money?")
    card = res.perspectives[0]
    texts = [q.text for q in card.quotes]
    assert texts[texts.index("Some say the closure will save the town money for years.") + 1] == "The reality is more complicated."
    assert "“Some say the closure will save the town money for years.” [1] “The reality is more complicated.” [1]" in res.answer


@pytest.mark.parametrize("sentence, rejects", [
    ("The reality is more complicated.", True),
    ("But this is probably not the main factor.", True),
    ("It is more of a propaganda strategy than the real situation.", True),
    ("On the contrary, it should be taken seriously.", True),
    ("The answer is no.", True),
    ("This is why the town has no lighthouse today.", False),  # explains, does not reject
    ("That is a contrast with the other harbours.", False),
    ("But the market is really good.", False),
])
def test_rejects_previous(sentence, rejects):
    assert rejects_previous(sentence) is rejects


def test_of_two_neighbours_with_numbers_the_one_about_the_question(stub_pipe):
    # In the seeds, 004's key sentence on its young team has "However, one thing is certain…"
    # before it and "Among the 140 members, … an average age of 26." after it.
    res = ask(stub_pipe, "How old is DeepSeek's team on average?")
    assert "average age of 26" in res.answer


# -- what counts as holding the asked-for fact ---------------------------------------------

def test_a_capital_that_opens_a_quote_is_not_a_name():
    qt = analyse("Which harbour captain warned that the town must repair its lighthouse?")
    assert not qt.holds_answer("“If the town does not repair the light, boats will be lost,” he wrote online.")
    assert qt.holds_answer("Anna Berg, a retired captain, said the light must be repaired.")


# -- the lead quotes the best key sentence --------------------------------------------------

def test_most_direct_line_quotes_the_best_key_sentence_not_the_first():
    first = Evidence("Port Velmar has a harbour and a lighthouse.", 0, 43, "a:0", 1, "key", 0.5)
    best = Evidence("The lighthouse was closed because the storm cracked its lamp room.", 44, 110, "a:0", 1, "key", 0.9)
    assert _view_lead([first, best]).endswith("Most direct: «A»: “The lighthouse was closed because the storm cracked its lamp room.” [1]")


VIEW = analyse("Why was the lighthouse closed?")


def _view_lead(quotes: list[Evidence]) -> str:
    """The lead of a view question over one addressing article with these quotes."""
    cards = [Perspective("a", "A", "A", ADDRESSES, 0.9, "", quotes, [1])]
    return lead(VIEW, cards)


def test_a_lead_with_only_unsure_articles_names_none_as_addressing():
    quotes = [Evidence("Port Velmar has a harbour and a lighthouse.", 0, 43, "a:0", 1, "key", 0.5)]
    cards = [Perspective("a", "A", "A", MENTIONS, 0.9, "", quotes, [1]), Perspective("b", "B", "B", "silent", 0.1, "", [], [])]
    text = lead(VIEW, cards)
    assert text.startswith("No article clearly addresses this") and "address this:" not in text
    assert text.endswith("«B» does not address it. Closest: «A»: “Port Velmar has a harbour and a lighthouse.” [1]")



def test_most_direct_line_quotes_an_addressing_article_over_a_stronger_unsure_one():
    unsure = Evidence("Port Velmar has a harbour and a lighthouse.", 0, 43, "a:0", 1, "key", 0.9)
    sure = Evidence("The lighthouse was closed after the storm.", 0, 41, "b:0", 2, "key", 0.7)
    cards = [Perspective("a", "A", "A", MENTIONS, 0.9, "", [unsure], [1]), Perspective("b", "B", "B", ADDRESSES, 0.7, "", [sure], [2])]
    assert lead(VIEW, cards).endswith("Most direct: «B»: “The lighthouse was closed after the storm.” [2]")


def test_most_direct_line_quotes_the_article_whose_key_sentence_ranks_highest():
    weaker = Evidence("Port Velmar has a harbour.", 0, 26, "a:0", 1, "key", 0.6)
    better = Evidence("The lighthouse was closed after the storm.", 0, 41, "b:0", 2, "key", 0.8)
    cards = [Perspective("a", "A", "A", ADDRESSES, 0.9, "", [weaker], [1]), Perspective("b", "B", "B", ADDRESSES, 0.5, "", [better], [2])]
    # The two articles' best sentences, the higher-ranked first: two positions before the cards.
    assert lead(VIEW, cards).endswith("Most direct: «B»: “The lighthouse was closed after the storm.” [2] Next: «A»: “Port Velmar has a harbour.” [1]")


def test_a_fact_lead_names_every_article_once():
    """Session-13 review: a fact answer left the unsure articles unnamed, so its lists did not add up."""
    fact = Evidence("The lighthouse was closed in 1998.", 0, 34, "a:0", 1, "key", 0.9)
    other = Evidence("Port Velmar has a harbour.", 0, 26, "b:0", 2, "key", 0.5)
    cards = [Perspective("a", "A", "A", ADDRESSES, 0.9, "", [fact], [1]), Perspective("b", "B", "B", MENTIONS, 0.5, "", [other], [2]),
             Perspective("c", "C", "C", SILENT, 0.1, "", [], [])]
    text = lead(analyse("When was the lighthouse closed?"), cards)
    assert text == "«A»: “The lighthouse was closed in 1998.” [1] «B» may not address it. «C» does not address it."


def test_a_fact_lead_says_also_in_only_for_articles_that_give_the_same_answer():
    """"Which university…" listed every article naming any university (session 13)."""
    fact = Evidence("Liang studied at Zhejiang University.", 0, 37, "a:0", 1, "key", 0.9)
    same = Evidence("He is a graduate of Zhejiang University in Hangzhou.", 0, 52, "b:0", 2, "key", 0.6)
    other = Evidence("Many engineers come from Tsinghua University.", 0, 45, "c:0", 3, "key", 0.5)
    cards = [Perspective(x, x.upper(), x.upper(), ADDRESSES, 0.9, "", [q], [q.citation]) for x, q in zip("abc", (fact, same, other))]
    text = lead(analyse("Which university did Liang study at?"), cards)
    # «C» gives another answer: not "also in" the quoted one, but named as addressing it, cited.
    assert text == "«A»: “Liang studied at Zhejiang University.” [1] Also in «B» [2]. «C» [3] also addresses it."


def test_most_direct_line_marks_a_turn_that_comes_paragraphs_later():
    view = Evidence("For many people, the harbour is a victory.", 0, 42, "a:0", 1, "key", 0.9)
    turn = Evidence("The reality is more complicated.", 300, 332, "a:2", 2, "context", 0.0)
    assert _view_lead([view, turn]).endswith("“For many people, the harbour is a victory.” [1] … later: “The reality is more complicated.” [2]")


def test_most_direct_line_gives_the_question_an_answer_sentence_replies_to():
    """Reviewed, session 12: "The answer is no." was the most direct line, without the
    article's question it answers, so it read as a no to the user's question."""
    asked = Evidence("Is the lighthouse the oldest building in town?", 0, 46, "a:0", 1, "context", 0.0)
    answer = Evidence("The answer is no, the chapel is older.", 47, 85, "a:0", 1, "key", 0.9)
    assert _view_lead([asked, answer]).endswith("Most direct: «A»: “Is the lighthouse the oldest building in town?” [1] “The answer is no, the chapel is older.” [1]")


@pytest.mark.parametrize("sentence, leans", [
    ("The answer is no.", True),
    ("The short answer is yes, for now.", True),
    ("No, the board did not vote.", True),
    ("This made the harbour quieter.", True),
    ("Nobody voted against the market.", False),
    ("The answers came from the board.", False),
    ("Port Velmar has a harbour.", False),
    # a pronoun after a short fronted phrase leans back too
    ("After graduation, he launched a new company.", True),
    ("Every year, it trains more engineers than Europe.", True),
    ("According to Liang, this decision built the culture.", True),
    ("Therefore, its collapse is good news.", True),
    # ... but not after a clause with its own subject, nor in an appositive
    ("Even if a person is patriotic, he cannot deny this fact.", False),
    ("Deliveries to Singapore Airlines, its launch customer, are late.", False),
    ("In a statement, the company said no.", False),
])
def test_leans_back(sentence, leans):
    assert leans_back(sentence) is leans


@pytest.mark.parametrize("sentence, holds", [
    ("After graduation, he launched a new company named High-Flyer that tracked investments.", True),
    ("The fund, known as Ningbo Capital, was small.", True),
    ("Liang Wenfeng studied at Zhejiang University before he ran a fund.", False),  # names, but not the one asked for
])
def test_a_question_for_the_name_itself_wants_the_sentence_that_names_it(sentence, holds):
    qt = analyse("What was the name of the investment company Liang Wenfeng ran before DeepSeek?")
    assert qt.answer_type == "name" and qt.holds_answer(sentence) is holds
    assert analyse("Who ran the fund before DeepSeek?").holds_answer(sentence)  # other name questions: any name counts


@pytest.mark.parametrize("sentence, holds", [
    ("Many of its staff studied at Tsinghua University and Peking University.", True),
    ("It hires from the University of Oxford too.", True),
    ("For many Chinese, it proves that schools are equal to those of the United States.", False),  # a name, not a school's
])
def test_a_question_for_schools_wants_a_schools_name(sentence, holds):
    """ "Which Chinese universities…?" took "the United States" for the answer."""
    assert analyse("Which Chinese universities did the staff come from?").holds_answer(sentence) is holds


def test_a_quote_that_opens_with_its_own_quotation_is_not_wrapped_twice():
    """““But the limitation really comes from other parts.”” in the answer and text view (a review)."""
    said = Evidence("“But the limitation really comes from other parts.”", 0, 52, "a:0", 1, "key", 0.9)
    assert _view_lead([said]).endswith("Most direct: «A»: “But the limitation really comes from other parts.” [1]")
    two = Evidence("“It works,” he said, “and it is cheap.”", 0, 40, "a:0", 1, "key", 0.9)
    assert _view_lead([two]).endswith("«A»: “It works,” he said, “and it is cheap.” [1]")  # a speaker's sentence, as it stands
    plain = Evidence("It works, he said.", 0, 18, "a:0", 1, "key", 0.9)
    assert _view_lead([plain]).endswith("«A»: “It works, he said.” [1]")  # the article's own words are put in marks


def test_how_old_asks_for_an_age_not_any_number():
    """Strict review, session 14: "ranked in the top 100" led the answer to "How old is the founder?"."""
    qt = analyse("How old is the harbour master?")
    assert qt.answer_type == "age"
    assert qt.holds_answer("The forty-year-old, bespectacled captain looked tired.")
    assert qt.holds_answer("The crew has an average age of 26.")
    assert qt.holds_answer("The crew, including its master, who is not very old.")  # an age in words
    assert not qt.holds_answer("The harbour is ranked in the top 100 globally.")


def test_a_fact_lead_quotes_an_addressing_article_before_a_stronger_unsure_one():
    """"Where is DeepSeek based?" quoted a card that itself said "may not address it"."""
    unsure = Evidence("The lighthouse was closed in 1998, some say.", 0, 44, "a:0", 1, "key", 0.9)
    sure = Evidence("The lighthouse closed in 1998.", 0, 30, "b:0", 2, "key", 0.6)
    cards = [Perspective("a", "A", "A", MENTIONS, 0.9, "", [unsure], [1]), Perspective("b", "B", "B", ADDRESSES, 0.6, "", [sure], [2])]
    text = lead(analyse("When was the lighthouse closed?"), cards)
    assert text.startswith("«B»: “The lighthouse closed in 1998.” [2]") and "«A» may not address it." in text


def test_a_fact_lead_with_only_unsure_articles_says_so_before_the_closest_sentence():
    """Strict review, session 14: q35's lead quoted, unhedged, a card marked "may not address it"."""
    unsure = Evidence("The lighthouse keeper is not very old.", 0, 38, "a:0", 1, "key", 0.9)
    cards = [Perspective("a", "A", "A", MENTIONS, 0.9, "", [unsure], [1]), Perspective("b", "B", "B", SILENT, 0.1, "", [], [])]
    text = lead(analyse("How old is the lighthouse keeper?"), cards)
    assert text == "No article clearly answers this. Closest: «A»: “The lighthouse keeper is not very old.” [1] «B» does not address it."


def test_a_view_card_leads_with_the_articles_own_words_over_a_quotation(stub_pipe):
    """NRC's card on the excitement about DeepSeek led with a reader's quotation ("“Everyone
    was excited…”"); the article's own sentences now come first. An expert's answer in
    reported speech ("…, said Yanbo Wang") is the article's report and keeps its place."""
    res = ask(stub_pipe, "Is the excitement in China about DeepSeek exaggerated?")
    nrc = next(p for p in res.perspectives if p.article_id.startswith("002"))
    best = max((q for q in nrc.quotes if q.role == "key"), key=lambda q: q.score)
    assert not best.text.startswith(("“", '"')) and best.voice == "own"
    res = ask(stub_pipe, "Has the AI sector in China escaped the brain drain that hit other tech sectors?")
    assert "political imprimatur" in res.answer


def test_a_quote_that_leans_back_is_shown_after_the_sentences_it_leans_on():
    """"Yet the involvement…" leans on "It has deposited money…", which leans on the sentence
    that names "it": the answer's line quotes all three, in reading order, once each."""
    text = ("The Chinese government also helped, said Marina Zhang. It has deposited money into research. "
            "Yet the involvement of the government is a threat.")
    quotes = []
    for n, sentence in enumerate(["The Chinese government also helped, said Marina Zhang.", "It has deposited money into research.",
                                  "Yet the involvement of the government is a threat."]):
        start = text.index(sentence)
        quotes.append(Evidence(sentence, start, start + len(sentence), "a:1:0", 1, "context" if n < 2 else "key", voice="own"))
    assert with_context(quotes, quotes[2]) == ("“The Chinese government also helped, said Marina Zhang.” [1] “It has deposited money into research.” [1] "
                                               "“Yet the involvement of the government is a threat.” [1]")
    assert with_context(quotes, quotes[0]) == "“The Chinese government also helped, said Marina Zhang.” [1]"


def test_a_fact_lead_shows_the_sentence_its_pronoun_leans_on(stub_pipe):
    res = ask(stub_pipe, "What was the name of the company Liang launched after graduation?")
    lead_line = res.answer.split(" may not address it")[0]
    assert "High-Flyer" in lead_line
    assert lead_line.index("DeepSeek’s founder, Liang Wenfeng") < lead_line.index("After graduation, he launched")
