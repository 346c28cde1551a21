"""Who says it: a sentence's voice (own / quoted / unattributed) and its speaker, as the
reader sees it on a card ("Kudlow, quoted: “…”") and in the JSON, measured on the gold file."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from app.answer.ask import lead
from app.answer.results import AskResult, CompareResult, CompareRow, Evidence, Perspective, voice_of
from app.corpus.attribution import OWN, QUOTED, UNATTRIBUTED, attribute
from app.eval.attribution import evaluate, load_gold, same_speaker
from app.render.compare import table, to_csv, to_markdown
from app.render.text import markdown, quotes_text
from app.retrieve.terms import analyse
from app.ui.html import card_final, matrix_html


def who(text: str, sentence: str) -> tuple[str, str | None]:
    start = text.index(sentence)
    found = attribute(start, start + len(sentence), text)
    return found.kind, found.speaker


@pytest.mark.parametrize("text, sentence, kind, speaker", [
    # the speaker after the quote, before it, inverted or not
    ("Markets fell. “Tariffs will hurt,” said Kudlow. Stocks rose later.", "“Tariffs will hurt,” said Kudlow.", QUOTED, "Kudlow"),
    ('Markets fell. "Tariffs will hurt," Kudlow said. Stocks rose later.', '"Tariffs will hurt," Kudlow said.', QUOTED, "Kudlow"),
    ("Markets fell. Kudlow said: «Tariffs will hurt.» Stocks rose later.", "Kudlow said: «Tariffs will hurt.»", QUOTED, "Kudlow"),
    ("Markets fell. Kudlow told reporters the tariffs would hurt.", "Kudlow told reporters the tariffs would hurt.", QUOTED, "Kudlow"),
    # a claim made "to" be so is someone's claim, not the article's finding (the review's Cisco card)
    ("Acme sued Beta on Monday. The company claims to own the trademark for the name.", "The company claims to own the trademark for the name.",
     QUOTED, "The company"),
    ("Markets fell. ‘We will not back down,’ wrote Jane Doe on Twitter.", "‘We will not back down,’ wrote Jane Doe on Twitter.", QUOTED, "Jane Doe"),
    ("Growth slowed, according to People's Daily.", "Growth slowed, according to People's Daily.", QUOTED, "People's Daily"),
    ("Prices rose. Anna Berg, the head of the bank, says inflation is easing.", "Anna Berg, the head of the bank, says inflation is easing.", QUOTED, "Anna Berg"),
    # the attribution in the NEXT sentence, across a sentence break
    ("The plant closed. “We will win.” Kudlow said that on Monday.", "“We will win.”", QUOTED, "Kudlow"),
    # a quotation of several sentences, attributed in its second one
    ("“We will win. The tariffs work,” said Kudlow. Nobody agreed.", "“We will win.", QUOTED, "Kudlow"),
    # a quotation over two paragraphs: the second opens with a mark, the first never closes
    ("Lam spoke on Monday. Lam said: “The bill is dead.\n\n“It will not return.”\n\nProtests went on.", "“It will not return.”", QUOTED, "Lam"),
    # pronouns and an unattributed quotation carry on the last speaker's turn
    ("Pavel Durov said schools matter. “Reform them,” he wrote online.", "“Reform them,” he wrote online.", QUOTED, "Pavel Durov"),
    ("Ding, a teacher, uses it. “It is good,” says Ding. “It gives you new ideas.”", "“It gives you new ideas.”", QUOTED, "Ding"),
    # the article's own voice, a scare quote, a record rather than a speaker
    ("The company is based in Hangzhou. It was called a “Sputnik moment” by few.", "The company is based in Hangzhou.", OWN, None),
    ("Exports fell. The rules are a “red line” for the firm.", "The rules are a “red line” for the firm.", OWN, None),
    ("He was hit by a van, according to traffic camera footage.", "He was hit by a van, according to traffic camera footage.", OWN, None),
    ("The United States added two members to the council.", "The United States added two members to the council.", OWN, None),
    # someone's words, but not anyone the article names
    ("Some people pointed to the exam system.", "Some people pointed to the exam system.", UNATTRIBUTED, None),
    ("The attacker reportedly fled by car.", "The attacker reportedly fled by car.", UNATTRIBUTED, None),
    ("“It was chaos,” an eyewitness said.", "“It was chaos,” an eyewitness said.", UNATTRIBUTED, None),
    # advice and appeals report speech too: "V someone to do something"; base forms after a plural
    ("Offices closed. The tax agency advises citizens to keep paying.", "The tax agency advises citizens to keep paying.", QUOTED, "The tax agency"),
    ("Talks failed. Foreign Secretary Jane Doe urged the embassy to reconsider.", "Foreign Secretary Jane Doe urged the embassy to reconsider.",
     QUOTED, "Foreign Secretary Jane Doe"),
    ("Since then, some voices have urged more firms to copy it.", "Since then, some voices have urged more firms to copy it.", UNATTRIBUTED, None),
    ("Many point to the local government.", "Many point to the local government.", UNATTRIBUTED, None),
    # a role stands for the name it came with; "she" for the last person named, even as an object
    ("President Jane Doe spoke on Friday. The President insists that the budget include the wall.",
     "The President insists that the budget include the wall.", QUOTED, "President Jane Doe"),
    ("Anne Roe drove the car. Police spoke with Anne Roe as a suspect. She informed police she had immunity. Roe left.",
     "She informed police she had immunity.", QUOTED, "Anne Roe"),
    # a head that names nobody, and the name in its appositive
    ("One of these groups, the Free Union (FU), opposed the plan and said it was betrayed.",
     "One of these groups, the Free Union (FU), opposed the plan and said it was betrayed.", QUOTED, "the Free Union"),
    # a speaker who is only reported on: the claim is hearsay too
    ("The attacker is reported to have jumped on stage and claimed he was wronged.",
     "The attacker is reported to have jumped on stage and claimed he was wronged.", UNATTRIBUTED, None),
    # the article's report of a view, carried on until the speaker's own words in one paragraph
    ("According to Zeng, the state deserves no credit. The state may have plans, but innovation is hard to plan. “All the big firms are private,” he said.",
     "The state may have plans, but innovation is hard to plan.", QUOTED, "Zeng"),
    # a named subject whose verb needs a complement, and the quotation later in its sentence
    ("Liang described the need to overcome a limit of tech firms, which “isn’t capital but confidence and talent.”",
     "Liang described the need to overcome a limit of tech firms, which “isn’t capital but confidence and talent.”", QUOTED, "Liang"),
    # patterns a review of real answers found (tests/eval/reviews/2026-12-03-before.md)
    ("The frame acts as an antenna, possibly reducing the amount of dropped calls.",
     "The frame acts as an antenna, possibly reducing the amount of dropped calls.", OWN, None),
    ("However, many consumers reported that reception would decrease.", "However, many consumers reported that reception would decrease.",
     UNATTRIBUTED, None),
    ("According to The Daily, an insider claimed the chief was ousted. When Apple CEO Steve Jobs first introduced the phone, he praised its "
     "antenna. Jobs later apologised.", "When Apple CEO Steve Jobs first introduced the phone, he praised its antenna.", QUOTED, "Apple CEO Steve Jobs"),
    ("Citing people familiar with it, The Journal reported that Roe was pushed out. The sources claimed that Roe was not used to it. "
     "They also said that it was Jobs who decided.", "They also said that it was Jobs who decided.", UNATTRIBUTED, None),
    ('The phone is claimed to be "a revolutionary phone" as stated on the Apple website.',
     'The phone is claimed to be "a revolutionary phone" as stated on the Apple website.', QUOTED, "the Apple website"),
    # ... but not between two quotations alone
    ("“My father uses it too,” says Jo Tian, who works at a university. The chatbot was the favourite topic. “Everyone was excited.”",
     "The chatbot was the favourite topic.", OWN, None),
])
def test_whose_words(text, sentence, kind, speaker):
    assert who(text, sentence) == (kind, speaker)


def test_attribution_reads_the_text_alone_and_names_the_speaker_verbatim():
    text = "Officials met. Treasury Secretary Steven T. Mnuchin said the talks were productive."
    kind, speaker = who(text, "Treasury Secretary Steven T. Mnuchin said the talks were productive.")
    assert kind == QUOTED and speaker == "Treasury Secretary Steven T. Mnuchin" and speaker in text


def test_a_card_shows_whose_words_a_quote_carries_and_the_json_keeps_it():
    text = "Growth slowed. “Tariffs will hurt,” said Kudlow. “Nobody knows,” a trader said."
    quotes = []
    for n, sentence in enumerate(["Growth slowed.", "“Tariffs will hurt,” said Kudlow.", "“Nobody knows,” a trader said."], 1):
        start = text.index(sentence)
        quotes.append(Evidence(sentence, start, start + len(sentence), "a:1:0", n, **voice_of(text, start, start + len(sentence))))
    card = Perspective("a", "T", "T", "addresses", 0.5, "", quotes)
    shown = quotes_text(card)
    assert "    “Growth slowed.” [1]" in shown
    assert "    “Tariffs will hurt,” said Kudlow. [2]" in shown  # the sentence names its speaker: no second "Kudlow"
    assert "    unattributed: “Nobody knows,” a trader said. [3]" in shown
    result = AskResult("q", "view", "", [], [card], [], "stub")
    data = json.loads(json.dumps(result.to_dict()))
    assert [(q["voice"], q["speaker"]) for q in data["perspectives"][0]["quotes"]] == [(OWN, None), (QUOTED, "Kudlow"), (UNATTRIBUTED, None)]
    assert AskResult.from_dict(data).perspectives[0].quotes[1].speaker == "Kudlow"  # batch files read back


def _quote(text: str, n: int, voice: str, speaker: str | None = None) -> Evidence:
    return Evidence(text, 0, len(text), "a:1:0", n, voice=voice, speaker=speaker)


VOICES = [_quote("Growth slowed to 2 percent.", 1, OWN), _quote("“Tariffs will hurt,” he said.", 2, QUOTED, "Kudlow"),
          _quote("“Nobody knows,” a trader said.", 3, UNATTRIBUTED), _quote("Some people blame the 2 tariffs.", 4, UNATTRIBUTED),
          _quote("Kudlow said tariffs work.", 5, QUOTED, "Larry Kudlow")]


def test_exports_and_the_web_app_say_whose_words_each_quote_carries():
    """Markdown (batch reports, downloads), the web card, compare's table, Markdown, CSV and web
    rows: a named speaker's words are led by "Kudlow, quoted:" (not when the sentence names
    the speaker itself); the article's own are bare; a quotation of someone unnamed says
    "unattributed"; reported speech that names its vague source ("Some people…") is bare."""
    card = Perspective("a", "Title", "Title", "addresses", 0.5, "", VOICES, [1, 2, 3, 4, 5])
    md = markdown(AskResult("q", "view", "", [], [card], [], "stub"))
    assert "  - “Growth slowed to 2 percent.” [1]" in md and "  - Kudlow, quoted: “Tariffs will hurt,” he said. [2]" in md
    assert "  - unattributed: “Nobody knows,” a trader said. [3]" in md and "  - “Some people blame the 2 tariffs.” [4]" in md
    assert "  - “Kudlow said tariffs work.” [5]" in md
    web = card_final(0, card, {1, 2, 3, 4, 5})
    assert '<blockquote><span class="pv-who">Kudlow, quoted:</span> “Tariffs will hurt,” he said.' in web
    assert "<blockquote>Growth slowed" in web and '<span class="pv-who">unattributed:</span> “Nobody knows,”' in web

    row = CompareRow("a", "Title", "Title", "not judged", "", VOICES, status="addresses")
    result = CompareResult("tariffs", "", "none", [row], {"text": "1 of 1 articles discuss this."}, "stub", "schema", "note")
    assert "Kudlow, quoted: “Tariffs will hurt,” he said. [2]" in table(result, width=200)
    assert "Kudlow, quoted: “Tariffs will hurt,” he said. [2]<br>" in to_markdown(result)
    line = to_csv(result).splitlines()[1]
    assert "own | Kudlow, quoted | unattributed | unattributed | Larry Kudlow, quoted" in line  # machines get every voice
    assert '<span class="pv-who">Kudlow, quoted:</span> “Tariffs' in matrix_html([asdict(row)], {})


def test_the_answer_lead_says_whose_words_it_quotes():
    card = Perspective("a", "Title", "Markets", "addresses", 0.5, "", VOICES[1:2], [2])
    text = lead(analyse("Who warned that tariffs will hurt?"), [card])
    assert text.startswith("«Markets»: Kudlow, quoted: “Tariffs will hurt,” he said. [2]")


def test_speaker_names_match_by_surname_or_containment():
    assert same_speaker("Trump", ["Donald Trump"]) and same_speaker("ABHM president Chakrapani", ["Swami Chakrapani"])
    assert same_speaker("the Ministry of Health", ["Ministry of Health"])
    assert not same_speaker("he", ["Donald Trump"]) and not same_speaker(None, ["Donald Trump"])
    assert not same_speaker("Mike Pence", ["Donald Trump", "the statement"])


def test_gold_accuracy_does_not_fall():
    """The measured figures (README, "Who says it"): a change that loses more than two points
    on dev or holdout is a regression. Rules were tuned on dev only."""
    gold = load_gold()
    assert len(gold) >= 200 and len({r["set"] for r in gold}) >= 3
    dev = evaluate([r for r in gold if r["split"] == "dev"])
    holdout = evaluate([r for r in gold if r["split"] == "holdout"])
    assert dev["kind"] >= 0.96 and dev["both"] >= 0.96, dev["misses"]
    assert holdout["kind"] >= 0.84 and holdout["both"] >= 0.78
    assert dev["both"] > dev["always_own"] + 0.4


SETTINGS = settings(derandomize=True, database=None, max_examples=300, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
PIECES = ["“", "”", '"', "'", "‘", "’", "«", "»", " said Kudlow", " he said", ", according to the Ministry", ". ", "\n\n",
          "Kudlow", "Mr. ", "It's", " told reporters", ":", ",", " the plan", " U.S.", "?", " some people say"]


@SETTINGS
@given(parts=st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=6)), max_size=40), cut=st.tuples(st.integers(0, 300), st.integers(0, 300)))
def test_attribution_of_any_text_is_one_of_three_voices_with_a_speaker_from_the_text(parts, cut):
    """Invariant: any span of any text gets a kind; a speaker only when quoted, and then
    words that stand in the text (a name is never made up)."""
    text = "".join(parts)
    a, b = sorted(min(c, len(text)) for c in cut)
    found = attribute(a, b, text)
    assert found.kind in (OWN, QUOTED, UNATTRIBUTED)
    assert (found.speaker is not None) == (found.kind == QUOTED)
    if found.speaker:
        assert found.speaker.strip() and " ".join(found.speaker.split()) in " ".join(text.split())


@pytest.mark.parametrize("text, sentence, speaker", [
    # a surname that reads as a pronoun or a common word is shown by the full name the article uses
    ("“It is fine,” says 41-year-old You Tianlong, who works at a university.\n\nPrices rose. Jobs are scarce. Firms hire less. "
     "Wages fell.\n\nThe competition is fierce. You, the university employee, is watching with dismay. “Chinese society is so competitive.”\n\n"
     "\"It's inevitable,\" he adds resignedly.",
     "“Chinese society is so competitive.”", "You Tianlong"),
    ("Prime Minister Theresa May met the unions on Monday.\n\nTalks stalled. Nobody moved. Wages fell. Prices rose.\n\n"
     "Trade fell. May, the leader, was grim. “We will not leave without a deal.”\n\n"
     "\"It is final,\" she adds.", "“We will not leave without a deal.”", "Theresa May"),
])
def test_a_speaker_that_reads_as_a_pronoun_is_shown_by_full_name(text, sentence, speaker):
    """"You, quoted:" reads as the pronoun; "You Tianlong, quoted:" says who speaks."""
    kind, said = who(text, sentence)
    assert kind == QUOTED and said.endswith(speaker)


def test_a_pronoun_or_common_word_is_never_a_speaker():
    """"You, quoted:" reads as the pronoun: without a full name in the article, no speaker."""
    text = "The market fell. You said it yourself: “Prices will rise again soon.”"
    kind, speaker = who(text, "You said it yourself: “Prices will rise again soon.”")
    assert speaker is None or speaker.lower() not in {"you", "it", "this", "they", "we", "i"}


@pytest.mark.parametrize("text, sentence", [
    # a phone call, not speech: "called X to complain"
    ("Sales rose. According to company statistics, about one out of every 200 customers have called AppleCare to complain about the antenna.",
     "According to company statistics, about one out of every 200 customers have called AppleCare to complain about the antenna."),
    # a participle with its agent: the media's word, the sentence the article's
    ("Sales rose. Apple's response to the issue, dubbed \"Antennagate\" by the media, was first to recommend holding the phone differently.",
     "Apple's response to the issue, dubbed \"Antennagate\" by the media, was first to recommend holding the phone differently."),
])
def test_sentences_that_only_look_like_speech_stay_the_articles_own(text, sentence):
    assert who(text, sentence) == (OWN, None)
