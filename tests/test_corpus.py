"""Text repair and article loading: what users will read and quote."""

from pathlib import Path

import pytest

from app.corpus.articles import clean_text, load_article, load_corpus, make_label, repair_lost_quotes
from app.errors import CorpusError, InputError

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


@pytest.fixture(scope="module")
def corpus():
    return {a.id[:3]: a for a in load_corpus(SEEDS)}


def test_mangled_quotes_are_repaired(corpus):
    text = corpus["001"].text
    assert "ā" not in text
    assert "DeepSeek’s" in text
    assert "“Sputnik moment”" in text
    assert "“We’re done following. It’s time to lead.”" in text
    assert "bachelor’s and master’s degrees" in text


def test_repair_rule_worked_example():
    raw = "DeepSeekās rise, a āSputnik momentā. Itās here. Weāre done. Heās right."
    assert repair_lost_quotes(raw) == "DeepSeek’s rise, a “Sputnik moment”. It’s here. We’re done. He’s right."


def test_genuine_macron_is_left_alone():
    assert repair_lost_quotes("Lā Jiā is a name; Mā too.") == "Lā Jiā is a name; Mā too."


def test_page_furniture_removed(corpus):
    assert not corpus["000"].text.startswith("Skip to content")
    assert "Skip to content" not in corpus["000"].text
    t2 = corpus["002"].text
    assert "%2F" not in t2 and "/s3/" not in t2 and "Read also" not in t2
    assert "nobody took him seriously" not in t2  # the teaser headline after "Read also"
    assert not t2.rstrip().endswith("nrc.nl")
    assert "Leave a Comment" not in corpus["004"].text


def test_titles_from_text_and_labels(corpus):
    assert corpus["000"].title == "What the success of Deepseek tells us about China's ability to cherish talent"
    assert corpus["004"].title == "DeepSeek shock wave: an “isolated case” of technological innovation"
    assert corpus["002"].title.startswith("Thanks to the huge success of DeepSeek")
    assert corpus["000"].title not in corpus["000"].text[:200]  # title kept apart from the body
    for art in corpus.values():
        assert 0 < len(art.label) <= 43


def test_paragraphs_and_whitespace(corpus):
    for art in corpus.values():
        assert "\n\n\n" not in art.text and "  " not in art.text
        assert art.text == art.text.strip()


def test_stable_hash_and_id(tmp_path):
    p = tmp_path / "My Article (1).md"
    p.write_text("# A heading for this article\n\nSome body text that is long enough to count.\n", encoding="utf-8")
    a, b = load_article(p), load_article(p)
    assert a.sha256 == b.sha256 and a.id == "My-Article-1"
    assert a.title == "A heading for this article"
    p.write_text("# A heading for this article\n\nSome other body text that is long enough.\n", encoding="utf-8")
    assert load_article(p).sha256 != a.sha256


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "no article text"),
        (b"\x00\x01\x02binary" * 10, "binary"),
        (b"Skip to content\n\nLeave a Comment\n", "no article text"),
    ],
)
def test_unusable_files_are_reported(tmp_path, content, message):
    p = tmp_path / "bad.txt"
    p.write_bytes(content)
    with pytest.raises(InputError, match=message):
        load_article(p)


def test_bad_file_skipped_not_fatal(tmp_path):
    (tmp_path / "good.txt").write_text("A perfectly fine article with several words in it.", encoding="utf-8")
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    skipped = []
    arts = load_corpus(tmp_path, on_skip=lambda p, m: skipped.append(m))
    assert [a.id for a in arts] == ["good"] and "empty.txt" in skipped[0]


def test_missing_or_empty_folder(tmp_path):
    with pytest.raises(CorpusError, match="not found"):
        load_corpus(tmp_path / "nope")
    with pytest.raises(CorpusError, match="No usable articles"):
        load_corpus(tmp_path)


def test_html_is_kept_as_text_not_interpreted():
    title, body = clean_text("Title line for the test\n\n<script>alert('x')</script> &amp; more words here")
    assert "<script>" in body  # kept as text: escaping is the UI's job


def test_make_label_cuts_at_word():
    assert make_label("short") == "short"
    assert make_label("a" * 10 + " " + "b" * 40).endswith("…")


@pytest.mark.parametrize("name", ["LICENSE.md", "license.txt", "README.md", "Readme.txt", "COPYING", "COPYING.md", "LICENCE.md"])
def test_licence_and_readme_files_are_not_articles(tmp_path, name):
    (tmp_path / "wn1-an-article.md").write_text("---\ntitle: Markets fall\n---\nStock markets fell sharply on Monday in Tokyo.", encoding="utf-8")
    (tmp_path / name).write_text("# Licence\n\nThis text is licensed under CC BY 2.5 and may be shared with attribution.", encoding="utf-8")
    skipped = []
    arts = load_corpus(tmp_path, on_skip=lambda p, m: skipped.append(m))
    assert [a.id for a in arts] == ["wn1-an-article"] and skipped == []


def test_an_article_whose_name_only_starts_like_a_licence_is_read(tmp_path):
    (tmp_path / "licensed-brewers-protest.md").write_text("Licensed brewers protested the new tax in the capital on Friday.", encoding="utf-8")
    assert [a.id for a in load_corpus(tmp_path)] == ["licensed-brewers-protest"]


def test_eval_corpora_hold_only_their_articles():
    corpora = SEEDS.parent / "tests" / "eval" / "corpora"
    for folder in (p for p in corpora.iterdir() if p.is_dir()):
        ids = [a.id for a in load_corpus(folder)]
        assert ids and all(i.startswith("wn") for i in ids), (folder.name, ids)


def test_a_folders_licence_and_readme_are_not_articles(tmp_path):
    """An openly licensed collection ships its LICENSE.md and README.md beside the articles:
    neither may become a card ("Subject. technology: …" was once a Most direct answer)."""
    (tmp_path / "LICENSE.md").write_text("# Licence\n\nThe articles are CC BY 2.5. " * 20, encoding="utf-8")
    (tmp_path / "README.txt").write_text("How this folder was made. " * 40, encoding="utf-8")
    (tmp_path / "readme-first.md").write_text("# Readme first, a real article's title\n\n" + "An article about readmes. " * 30, encoding="utf-8")
    skipped: list[str] = []
    arts = load_corpus(tmp_path, on_skip=lambda p, m: skipped.append(m))
    assert [a.title for a in arts] == ["Readme first, a real article's title"]
    assert skipped == []

