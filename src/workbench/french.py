"""French agreement for the pages' sentences: "1 jour", "3 jours", "0 alerte", never the
"jour(s)" of a program.

Why here: every page writes counts in prose; French puts 0 and 1 in the singular and the rest
in the plural, with irregular plurals ("un journal", "des journaux"). One helper keeps that
rule in one place (presentation only: analyses never import it).
"""

from __future__ import annotations

import math

# words that never take the plural mark (articles, prepositions, adverbs)
_INVARIABLE = {"de", "du", "des", "la", "le", "les", "à", "au", "en", "et", "ou", "par", "pour", "sur", "sans",
               "avec", "dans", "déjà", "très", "plus", "moins", "bien", "encore", "pas", "ne", "non"}


def _plural_form(word: str) -> str:
    """Regular French plural of one word: -s, unchanged after s/x/z, -aux for -al and -au/-eu."""
    if word.endswith(("s", "x", "z")):
        return word
    if word.endswith("al") and word not in ("bal", "festival", "récital", "régal"):
        return word[:-2] + "aux"
    if word.endswith(("au", "eu")):
        return word + "x"
    return word + "s"


def is_plural(n) -> bool:
    """French number agreement: plural from 2 on (|n| >= 2), so 0, 1 and 1,5 are singular."""
    try:
        return abs(float(n)) >= 2 and not math.isnan(float(n))
    except (TypeError, ValueError):
        return False


def plural(n, singular: str, plural_form: str | None = None) -> str:
    """The word agreeing with `n`: plural('3', 'jour') -> 'jours'. Each word of a multi-word
    `singular` is put in the plural ('mention annotée' -> 'mentions annotées') unless
    `plural_form` is given."""
    if not is_plural(n):
        return singular
    if plural_form is not None:
        return plural_form
    return " ".join(_plural_form(w) if w.isalpha() and w not in _INVARIABLE else w for w in singular.split(" "))


def count(n, singular: str, plural_form: str | None = None, decimals: int = 0) -> str:
    """'3 jours', '1 alerte', '0 sujet', '0,8 jour' — the number in French (`reporting.fmt_num`)
    followed by the agreeing word."""
    from workbench.reporting import fmt_num

    return f"{fmt_num(n, decimals)}\u00a0{plural(n, singular, plural_form)}"
