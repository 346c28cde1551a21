"""The support check: no model sentence is shown unless the cited sentences carry it.

Adversarial sentences a tiny model really writes (reviewed answers, issue "Evidence first"):
an invented name, a wrong number, a swapped entity, a flipped negation, a list item, a
fragment. Each must fail; faithful restatements must pass.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.answer.support import check, whole_sentences

EVIDENCE = [
    "DeepSeek’s success was not achieved under the care of government funds.",
    "DeepSeek’s V3 model was developed with 2,000 H800 chips from Nvidia.",
    "Liang Wenfeng studied at Zhejiang University, where he majored in electronic information engineering.",
    "A report analyzing AI job openings in China shows three major AI technology hubs centered on the cities of Beijing, "
    "Shanghai and Shenzhen, creating the possibility of multiple Chinese “Silicon Valleys.”",
]
QUESTION = "How did DeepSeek succeed?"


@pytest.mark.parametrize("sentence", [
    "DeepSeek’s V3 model was developed with 2,000 H800 chips from Nvidia [2].",
    "The article says DeepSeek’s success was not achieved with government funds.",
    "Liang Wenfeng studied electronic information engineering at Zhejiang University.",
])
def test_faithful_restatements_pass(sentence):
    assert check(sentence, EVIDENCE, question=QUESTION).ok


@pytest.mark.parametrize("sentence, reason", [
    ("DeepSeek was founded by a former Chinese government official named Zhang Wei.", "name"),  # invented name
    ("DeepSeek’s V3 model was developed with 10,000 H800 chips from Nvidia.", "number"),  # wrong number
    ("DeepSeek’s V3 model was developed with 2,000 H800 chips from AMD.", "name"),  # swapped entity
    ("Liang Wenfeng studied at Tsinghua University.", "name"),  # swapped entity
    ("DeepSeek’s success was achieved under the care of government funds.", "negation"),  # flipped negation
    ("DeepSeek’s V3 model was not developed with H800 chips from Nvidia.", "negation"),  # added negation
    ("The success of DeepSeek came from great support and careful planning by many people.", "more than"),  # says more than the evidence
    ("DeepSeek’s V3 model should be developed with 2,000 H800 chips from Nvidia.", "judgement"),  # adds a prescription
    ("DeepSeek’s V3 model developed with 2,000 H800 chips from Nvidia is a concern.", "judgement"),  # adds a worry
    ("The article highlights the importance of China’s unique perspective and role in global affairs.", "more than"),  # vague, unsupported
    ("1. DeepSeek’s V3 model was developed with 2,000 H800 chips.", "list"),
    ("DeepSeek’s V3 model was developed with", "whole"),
    ("DeepSeek is facing detention due to financial disputes in 2023.", "number"),
    ("[1] What the success of Deepseek tells us about China.", "title"),  # the prompt's label copied back
    ("DeepSeek’s V3 model was developed with...", "whole"),
    # reviewed, session 12: 79% of its words are the quote's, but it adds a claim of its own
    ("The report highlights three major AI technology hubs in China, showcasing the potential for multiple Chinese "
     "\"Silicon Valleys\" to be transformed by AI.", "words of its own"),
])
def test_unsupported_sentences_fail_with_a_reason(sentence, reason):
    verdict = check(sentence, EVIDENCE, question=QUESTION, titles=["What the success of Deepseek tells us about China's ability to cherish talent"])
    assert not verdict.ok and reason in verdict.reason


def test_nothing_cited_nothing_shown():
    assert not check("DeepSeek’s V3 model was developed with 2,000 H800 chips from Nvidia.", [], question=QUESTION).ok


def test_whole_sentences_never_cut_and_never_repeat():
    reply = "1. It says A is true. It says A is true. - Then B happened! And then the model stopped mid"
    assert whole_sentences(reply, 5) == ["It says A is true.", "Then B happened!"]
    assert whole_sentences("no sentence end at all", 3) == []


def test_a_model_sentence_is_not_cut_at_an_abbreviation_or_a_decimal_point():
    """The bundled model's fact sentences were shown as "Mark Papermaster, formerly an Apple
    Inc. [1]" and "The Argentinean MERVAL index had fallen by 14. [28]"."""
    reply = "Mark Papermaster, formerly an Apple Inc. executive, joined U.S. rival IBM. [1] The index had fallen by 14.5 percent.[28] It"
    assert whole_sentences(reply, 5) == ["Mark Papermaster, formerly an Apple Inc. executive, joined U.S. rival IBM. [1]",
                                         "The index had fallen by 14.5 percent. [28]"]


def test_a_preamble_that_says_nothing_is_taken_off_a_sentence():
    """The bundled model's "The answer to the question is: The innovation did not come…" (dev q33)."""
    reply = "The answer to the question is: the innovation did not come from the state. The answer, however, is open."
    assert whole_sentences(reply, 5) == ["The innovation did not come from the state.", "The answer, however, is open."]


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.integers(min_value=0, max_value=10**7).filter(lambda n: n not in (2000, 800)))
def test_a_number_absent_from_the_evidence_is_never_accepted(n):
    """Invariant: whatever the number, if the cited sentences do not hold it, the check fails."""
    for shown in (str(n), f"{n:,}"):
        sentence = f"DeepSeek’s V3 model was developed with {shown} H800 chips from Nvidia."
        assert not check(sentence, EVIDENCE, question=QUESTION).ok


def test_a_sentence_that_changes_which_way_a_figure_moved_is_refused():
    """The bundled model wrote "the iPhone 3GS' price will remain at US $99" over "will be reduced
    to US $99", and it was shown as checked: a word of change (or of none) must be the evidence's."""
    evidence = ["The iPhone 3GS's price will be reduced to US $99, and the iPhone 3G will be discontinued."]
    remained = check("The iPhone 3G will be discontinued and the iPhone 3GS' price will remain at US $99.", evidence)
    assert not remained.ok and "remain" in remained.reason
    assert not check("The iPhone 3GS's price will rise to US $99.", evidence).ok
    assert check("The iPhone 3GS's price will be reduced to US $99.", evidence).ok
