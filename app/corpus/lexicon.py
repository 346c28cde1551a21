"""Word lists for reading English news text: stopwords, negations, abbreviations, attribution.

Scope: plain data (and `fold`, the one way a word is normalised before any list is read). The
sentence splitter (chunks.py) reads the abbreviations; attribution.py the words of attribution;
key terms, the support check, follow-ups, topics and stance cues read the stopwords and
negations. Every list is general English news usage: nothing here names a person, a place or a
subject of a corpus (tests/test_no_corpus_words.py checks the seeds' names).
Not here: corpus words (subject terms, names, related words), which are computed from the
corpus (app/retrieve/corpus_words.py, related.py).
"""

from __future__ import annotations

from bm25s.stopwords import STOPWORDS_EN_PLUS


def fold(word: str) -> str:
    """A word as every list here holds it: lower case, a typographic apostrophe made plain, a
    possessive "'s" taken off ("Airbus’s" -> "airbus")."""
    return word.lower().replace("’", "'").removesuffix("'s")


# -- stopwords -----------------------------------------------------------------------------

# English function words: NLTK's list as bm25s ships it (179 words; without "won", which it
# keeps for "won't" and news uses as a verb), plus modal and quantity words it lacks.
FUNCTION_WORDS = (frozenset(STOPWORDS_EN_PLUS) - {"won"}) | frozenset("""
also could would may might must shall can many much one's let lets yet even ever every per via upon within without
though although however thus whether
""".split())
# Words a question about articles uses for its form, not its subject ("What does the author
# say about…", "Which articles describe…").
QUESTION_FRAME = frozenset("""
article articles author authors say says said think thinks view views viewpoint opinion according tell tells told describe
describes described explain explains mention mentions mentioned discuss discusses discussed piece pieces writer text
use used uses make makes made get gets got way ways thing things like
""".split())
STOPWORDS = FUNCTION_WORDS | QUESTION_FRAME
# Words too common in news to make a topic phrase on their own ("last year", "first time").
TOPIC_FILLER = frozenset("""
already among another around back became become first last new next two three year years time times still including using
called something someone often week month day today top well mr ms dr less since
""".split())
# Words that name no subject of their own in a short question ("In which year?", "How old is he?").
GENERIC_NOUNS = frozenset("""
year years date day month time city place country reason reasons one ones old long big often exactly article articles piece pieces
source sources outlet outlets author authors answer answers quote quotes
""".split())

# Verbs of "What did <someone> <verb>…?" that ask for a thing done, given or announced, not a
# view ("What did Apple give owners…", "What did the committee recommend…"); "say", "think" and
# "mean" are left out: "What did analysts say about the crisis?" asks for views.
FACT_VERBS = frozenset("""
give offer pay cost charge spend lend receive get buy sell do announce launch release unveil introduce recommend propose
promise order ban approve
""".split())
# Of these, the verbs that ask for an amount ("What did the phone cost…?").
AMOUNT_VERBS = frozenset("cost charge pay spend lend".split())

# Kinds of thing whose names hold the kind's noun ("Zenith University", "Bank of Leeds", "North
# Airlines"): "Which university…?" is answered by such a name, not by any name.
NAMED_KINDS = frozenset("""
university universities college colleges school schools institute institutes academy airline airlines airport airports bank banks
party parties ministry ministries council councils court courts hospital hospitals agency agencies commission committee
""".split())

# -- negation and contrast ----------------------------------------------------------------

# Words that negate what follows; "n't" endings are matched apart.
NEGATIONS = frozenset("""
not no never neither nor without cannot hardly none nothing nobody isn't wasn't aren't weren't doesn't didn't don't won't can't
couldn't shouldn't wouldn't lack lacks lacking failed fails
""".split())
# Words that say which way something moved, or that it did not ("reduced to $99" is not
# "remained at $99"): a model sentence may not add one its evidence does not use.
CHANGE_WORDS = frozenset("""
remain remained remains stay stayed stays unchanged steady still kept rise rose risen rising raise raised increase increased
grow grew grown climb climbed jump jumped soar soared surge surged gain gained fall fell fallen drop dropped decline declined
decrease decreased reduce reduced cut lower lowered slash slashed sink sank plunge plunged slump slumped double doubled
triple tripled halve halved
""".split())
# Words that set a claim against another ("…rather than…", "despite…").
CONTRARY = ("instead", "rather than", "despite")
# Words that qualify a claim ("but", "on the other hand").
CONTRAST = ("but", "however", "yet", "although", "though", "while", "whereas", "nevertheless", "on the other hand")

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

# Verbs that report what someone said, wrote or holds, whatever follows them: "X said",
# "said X", "X told reporters", "X wrote", "X insisted that…". Only lower-case forms count
# ("United States" is no verb).
SPEECH_VERBS = frozenset({
    "said", "says", "say", "told", "tells", "wrote", "writes", "stated", "argued", "argues",
    "claimed", "insisted", "insists", "warned", "warns", "explained", "explains", "recalled",
    "recalls", "tweeted", "replied", "replies", "responded", "quipped", "joked", "testified",
    "asserted", "asserts", "contended", "contends", "reiterated", "acknowledged", "admitted",
    "admits", "conceded", "concedes", "remarked", "commented", "elaborated", "informed",
    "criticised", "criticized", "criticises", "criticizes", "condemned", "condemns", "praised",
    "questioned", "countered", "cautioned", "believes", "thinks", "complained", "complains",
    "maintained", "observed", "suggested", "suggests", "predicted", "predicts", "denied",
    "denies", "confirmed", "confirms", "alleged", "alleges", "vowed", "vows",
})
# Verbs that report speech only with a complement ("announced that…", "added: “…”", "…,
# police revealed on Saturday.", "called it “…”", "pointed to…"), not with a plain object
# ("added two members", "agreed to add", "the reports", "declared his dedication").
SPEECH_VERBS_WITH_COMPLEMENT = frozenset({
    "added", "adds", "announced", "announces", "declared", "declares", "noted", "notes",
    "reported", "reports", "revealed", "reveals", "called", "calls", "agreed", "agrees",
    "continued", "continues", "described", "describes", "pointed", "points", "expects",
    "expected", "hopes", "hoped", "fears", "feared", "asked", "asks", "answered", "promised",
    "pledged", "urged", "urges", "stressed", "stresses", "emphasized", "emphasised",
    "estimated", "estimates", "concluded", "concludes", "mentioned", "posted", "defended",
    "spoke", "speaks", "labelled", "labeled", "dubbed", "accused", "accuses", "blamed", "blames",
    "demanded", "demands", "assured", "assures", "claims", "advised", "advises", "thought",
    "proposed", "proposes",
    # base forms, after a plural subject: "Many point to…", "Critics argue that…"
    "point", "argue", "insist", "warn", "claim", "believe", "think", "suggest", "predict", "note",
    "fear", "hope", "contend", "maintain", "complain", "estimate", "urge", "advise",
})
# Verbs that report speech as "V someone to do something": "advises citizens to continue
# paying", "urged the embassy to reconsider", "asked police to".
OBJECT_TO_VERBS = frozenset({
    "advised", "advises", "advise", "asked", "asks", "ask", "urged", "urges", "urge", "implored",
    "begged", "warned", "warns", "told", "tells",
})  # not "called": "called the helpline to complain" is a phone call ("called on X to" is speech: attribution.py)
# Verbs that attribute only after the clause they report: "…, found the survey's authors."
INVERTED_ONLY = frozenset({"found", "finds"})
# What "according to" may point at that is a record, not a speaker ("according to traffic
# camera footage"): the sentence stays the article's own unless a name owns the record.
EVIDENCE_NOUNS = frozenset({
    "footage", "data", "figures", "statistics", "records", "documents", "images", "photos",
    "video", "videos", "estimates", "analysis", "tally", "count", "census", "polls", "poll",
    "survey", "surveys", "study", "studies", "records", "research", "results", "evidence",
})
# What carries a speaker's words: "an online comment from the party committee", "a report
# from the Daily Post" name the committee and the Daily Post as the speakers.
SOURCE_NOUNS = ("statement", "comment", "report", "post", "message", "letter", "release", "article",
                "editorial", "interview", "speech", "tweet", "remark")
# Phrases that lead from a speaker phrase to the speaker's name ("a protester using the
# pseudonym Jo", "a woman identified only as Maria").
NAMED_AS = ("using the pseudonym", "identified only as", "identified as", "who gave her name as",
            "who gave his name as", "who asked to be identified as", "known as")
# Words that open an attribution phrase without a verb: "according to X", "in X's words".
ACCORDING = ("according to", "in the words of", "as quoted by", "quoting", "citing", "per", "as stated on", "as stated in",
             "as stated by", "as reported by", "as announced on", "as posted on")
# Auxiliaries and adverbs that may stand between a speaker and the verb ("X has also said",
# "X later told", "X would not say").
BETWEEN = frozenset({
    "has", "have", "had", "also", "later", "then", "further", "once", "previously", "earlier",
    "again", "repeatedly", "recently", "reportedly", "publicly", "privately", "separately",
    "subsequently", "first", "is", "was", "were", "are", "being", "been", "would", "will",
    "could", "may", "might", "did", "does", "do", "not", "never", "often", "even", "himself",
    "herself", "themselves", "itself", "explicitly", "openly", "simply", "allegedly", "clearly",
})
# Roles that stand for a person the article has named with them before: "The President
# insists…" after "President Donald Trump", "the minister said" after "Health Minister Jane Doe".
ROLES = frozenset({
    "president", "minister", "secretary", "chancellor", "senator", "governor", "mayor", "spokesman",
    "spokeswoman", "spokesperson", "professor", "judge", "ambassador", "commissioner", "chairman",
    "chairwoman", "director", "king", "queen", "pope", "premier", "ceo", "coach", "sheriff", "commander",
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
