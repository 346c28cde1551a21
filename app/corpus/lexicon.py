"""Word lists for reading English news text: abbreviations, and the words of attribution.

Scope: plain data, no logic. The sentence splitter (chunks.py) reads the abbreviations; the
attribution of sentences to speakers (attribution.py) reads the rest. Every list is general
English news usage: nothing here names a person, a place or a subject of the corpus.
Not here: corpus words (subject terms, names), which are computed from the corpus.
"""

from __future__ import annotations

# -- abbreviations (lower case, without the final period) --------------------------------

# Titles and ranks: always followed by a name, so a period after them never ends a sentence
# ("Mr. Smith", "Lt. Gen. Smith", "Sen. Warren").
TITLES = frozenset({
    "mr", "mrs", "ms", "messrs", "mme", "mlle", "dr", "prof", "rev", "hon", "fr", "sen", "sens",
    "rep", "reps", "gov", "govs", "gen", "lt", "col", "capt", "cmdr", "adm", "maj", "sgt", "cpl",
    "pvt", "supt", "insp", "det", "pres", "amb", "atty", "gens",
})
# Abbreviations that stand before a number or a date: no sentence end when a digit follows
# ("No. 3", "Jan. 5", "p. 4", "Art. 5"); "The answer is no. Although…" still ends.
BEFORE_NUMBER = frozenset({
    "no", "nos", "vol", "vols", "p", "pp", "art", "arts", "fig", "figs", "ch", "chap", "sec",
    "para", "approx", "ca", "est", "op", "tel", "ext", "pt", "pts", "ed", "eds",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
})
# Abbreviations that may end a sentence or not ("made in the U.S. The plant…" against "the
# U.S. Commerce Department"): a learned sentence-boundary model decides (chunks.py).
AMBIGUOUS = frozenset({
    "inc", "corp", "co", "ltd", "llc", "plc", "bros", "jr", "sr", "st", "ave", "blvd", "rd",
    "dept", "govt", "univ", "assn", "etc", "vs", "al", "mt", "ft", "cf", "viz", "approx",
})

# -- attribution ---------------------------------------------------------------------------

# Verbs that report what someone said, wrote or holds, in the forms news text uses them.
# "X said", "said X", "X told reporters", "X wrote", "X argues that…".
SPEECH_VERBS = frozenset({
    "said", "says", "say", "told", "tells", "tell", "wrote", "writes", "write", "added", "adds",
    "stated", "states", "declared", "declares", "announced", "announces", "explained",
    "explains", "argued", "argues", "claimed", "claims", "insisted", "insists", "warned",
    "warns", "noted", "notes", "asked", "asks", "replied", "replies", "answered", "answers",
    "responded", "responds", "recalled", "recalls", "suggested", "suggests", "commented",
    "comments", "tweeted", "tweets", "posted", "acknowledged", "acknowledges", "admitted",
    "admits", "denied", "denies", "confirmed", "confirms", "reported", "reports", "stressed",
    "stresses", "emphasized", "emphasised", "emphasizes", "emphasises", "urged", "urges",
    "concluded", "concludes", "predicted", "predicts", "estimated", "estimates", "countered",
    "counters", "maintained", "maintains", "observed", "observes", "remarked", "remarks",
    "continued", "continues", "believes", "believed", "thinks", "thought", "mentioned",
    "mentions", "assured", "assures", "promised", "promises", "vowed", "vows", "alleged",
    "alleges", "accused", "accuses", "blamed", "blames", "called", "calls", "described",
    "describes", "praised", "praises", "criticised", "criticized", "criticises", "criticizes",
    "condemned", "condemns", "pointed", "points", "expects", "expected", "hopes", "hoped",
    "fears", "feared", "agreed", "agrees", "disagreed", "disagrees", "quipped", "joked",
    "admitted", "conceded", "concedes", "testified", "testifies", "indicated", "indicates",
    "reiterated", "reiterates", "repeated", "repeats", "characterized", "characterised",
    "labelled", "labeled", "dubbed", "affirmed", "affirms", "reaffirmed", "asserted", "asserts",
    "contended", "contends", "cautioned", "cautions", "demanded", "demands", "appealed",
    "explain", "argue", "claim", "insist", "warn", "note", "add", "state", "believe", "think",
})
# Words that open an attribution phrase without a verb: "according to X", "in X's words".
ACCORDING = ("according to", "in the words of", "as quoted by", "quoting", "citing", "per")
# Auxiliaries and adverbs that may stand between a speaker and the verb ("X has also said",
# "X later told", "X would not say").
BETWEEN = frozenset({
    "has", "have", "had", "also", "later", "then", "further", "once", "previously", "earlier",
    "again", "repeatedly", "recently", "reportedly", "publicly", "privately", "separately",
    "subsequently", "first", "is", "was", "were", "are", "being", "been", "would", "will",
    "could", "may", "might", "did", "does", "do", "not", "never", "often", "even", "himself",
    "herself", "themselves", "itself", "explicitly", "openly", "simply", "allegedly", "clearly",
})
# Pronouns as speakers ("he said"): resolved to the last speaker named before them.
PRONOUNS = frozenset({"he", "she", "they", "it", "i", "we", "his", "her", "their", "its"})
# Speakers too vague to name: the words are someone's, but not anyone the reader can weigh.
VAGUE_SPEAKERS = frozenset({
    "some", "some people", "people", "many", "many people", "others", "critics", "experts",
    "observers", "analysts", "sources", "reports", "one", "someone", "somebody", "few",
    "several", "supporters", "commentators", "some commentators", "some experts", "some analysts",
    "some observers", "some critics", "insiders", "witnesses", "residents", "locals", "users",
    "officials", "researchers", "scientists", "skeptics", "sceptics", "proponents", "opponents",
    "a source", "a person", "an official", "a spokesperson", "a spokesman", "a spokeswoman",
    "media", "the media", "media reports", "local media", "state media", "rumours", "rumors",
})
# Determiners and titles dropped when two speaker names are compared ("the Ministry" ~ "Ministry").
NAME_FILLER = frozenset({"the", "a", "an", "mr", "mrs", "ms", "dr", "prof", "sir", "dame", "lord", "lady"})
