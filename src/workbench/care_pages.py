"""Presentation of the care and ideas page (06): the month's questions and complaints counted
once, from what the rules spot to what enters the care queue; the ideas linked to rising web
searches; French sentences with proper plurals.

Why here: the page showed two counts of the same thing (questions + complaints flagged in the
brand's mentions, and the care queue) without saying how one becomes the other. The queue's
rules stay in `workbench.care` (`care_scope`, `care_items`); this module only lines the two
counts up for the reader. `*_sentence` functions return plain French text (escaped by
`reporting.takeaway`); `show_*` functions draw one block.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench import care, french, reporting
from workbench.reporting import fmt_int

KIND_FR = {"question": "Questions", "complaint": "Réclamations"}
# `care.care_scope` reasons -> columns of the reconciliation
_OUT = {"repartage (retweet)": "retweets", "réponse entre internautes": "conversations"}


def care_reconciliation(mentions: pd.DataFrame, flags: pd.DataFrame, brand: str, month,
                        review_flags: pd.DataFrame | None = None, reviews: pd.DataFrame | None = None) -> pd.DataFrame:
    """The report month's questions and complaints, from the rules to the care queue.

    Rows: question, complaint (a message that is both counts once, as a question, as in the
    queue), total. Columns: `flagged` (mentions of `brand` the rules flag), `retweets` and
    `conversations` (left out of the queue by its scope rule, as `care.care_scope` counts them:
    repeats, replies between people), `in_queue` (= the queue's questions and complaints of the month), `reviews` (store
    reviews flagged, handled by the stores). `flags`: `care.detect` on mentions["text"]."""
    month = pd.Period(month, freq="M")
    # the queue's own scope rule, on every mention (a reply between people is recognised by the
    # message it answers, which may be older than the month)
    reason = care.out_of_scope_reason(mentions, brand)
    sel = (mentions["brand"] == brand).to_numpy() & (mentions["timestamp"].dt.to_period("M") == month).to_numpy()
    f, reason = flags.reindex(mentions.index)[sel], reason[sel]
    q = f["is_question"].fillna(False).astype(bool).to_numpy()
    c = f["is_complaint"].fillna(False).astype(bool).to_numpy() & ~q
    if reviews is not None and review_flags is not None:
        rsel = (reviews["date"].dt.to_period("M") == month).to_numpy()
        rf = review_flags.reindex(reviews.index)[rsel]
        rq = rf["is_question"].fillna(False).astype(bool).to_numpy()
        rc = rf["is_complaint"].fillna(False).astype(bool).to_numpy() & ~rq
        in_store = {"question": int(rq.sum()), "complaint": int(rc.sum())}
    else:
        in_store = {"question": np.nan, "complaint": np.nan}
    rows = []
    for kind, mask in (("question", q), ("complaint", c)):
        why = reason[mask].value_counts()
        rows.append({"kind": kind, "flagged": int(mask.sum()),
                     **{col: int(why.get(r, 0)) for r, col in _OUT.items()},
                     "in_queue": int(why.get("", 0)), "reviews": in_store[kind]})
    out = pd.DataFrame(rows).set_index("kind")
    out.loc["total"] = out.sum(min_count=1)
    return out


def care_counts_sentence(rec: pd.DataFrame, month_name: str) -> str:
    """How the flagged questions and complaints become the queue's count (one count of one
    thing: the queue's)."""
    t = rec.loc["total"]
    left = []
    if t["retweets"]:
        left.append(french.count(t["retweets"], "repartage"))
    if t["conversations"]:
        left.append(french.count(t["conversations"], "réponse entre internautes", "réponses entre internautes"))
    enter = "entrent" if french.is_plural(t["in_queue"]) else "entre"
    text = (f"en {month_name}, les règles repèrent "
            f"{french.count(t['flagged'], 'question ou réclamation', 'questions ou réclamations')} dans les mentions "
            f"de la marque ; {fmt_int(t['in_queue'])} {enter} dans la file du service client "
            f"({french.count(rec.loc['question', 'in_queue'], 'question')}, "
            f"{french.count(rec.loc['complaint', 'in_queue'], 'réclamation')}) : c'est le nombre suivi dans la suite "
            f"de la page et dans les chiffres clés")
    if left:
        text += f" ; les autres ({' et '.join(left)}) n'attendent pas de réponse de la marque"
    if pd.notna(t["reviews"]):
        text += (f". Les avis déposés en magasin ajoutent {french.count(rec.loc['complaint', 'reviews'], 'réclamation')} "
                 f"et {french.count(rec.loc['question', 'reviews'], 'question')}, traitées par les magasins")
    return text + "."


def show_care_counts(rec: pd.DataFrame, suggestions: dict, month_name: str) -> None:
    """The reconciliation table (questions, complaints, total; suggestions apart) and its
    sentence. `suggestions`: {'online': n, 'store': n} of the month."""
    table = rec.rename(index={**KIND_FR, "total": "Total"})
    table.loc["Suggestions (section 3)"] = [suggestions.get("online"), np.nan, np.nan, np.nan,
                                                           suggestions.get("store")]
    reporting.show_table(table.rename_axis("Type").reset_index(), columns={
        "Type": "Type", "flagged": "Repérées", "retweets": "Repartages", "conversations": "Réponses entre internautes",
        "in_queue": "Dans la file", "reviews": "Avis en magasin"},
        formats={c: "int" for c in ("flagged", "retweets", "conversations", "in_queue", "reviews")},
        caption=f"Repérées dans les mentions de la marque en {month_name} ; repartages et réponses entre "
                f"internautes restent hors de la file du service client")
    reporting.takeaway(care_counts_sentence(rec, month_name))


def _words(text: str) -> set[str]:
    return {w[:-1] if len(w) > 3 and w[-1] in "sx" else w for w in care.fold(str(text)).split() if len(w) > 2}


def ideas_search_sentence(board: pd.DataFrame, opps: pd.DataFrame) -> str | None:
    """An idea of the customers that is also a rising web search (all the idea's words in the
    query), with both figures; None when no idea meets a rising query
    (`opps`: `concepts.search_opportunities`)."""
    rising = opps[opps["trend"] == "en hausse"]
    for _, idea in board.iterrows():
        words = _words(idea["idea_theme"])
        for _, q in rising.iterrows():
            if words and words <= _words(q["keyword"]):
                return (f"l'idée « {idea['idea_theme']} » ({french.count(idea['ideas'], 'suggestion')}) rejoint une "
                        f"recherche en hausse sur le web : « {q['keyword']} » "
                        f"({reporting.fmt_signed(100 * q['growth'], 1, '%')} sur trois mois, voir l'écoute sociale) : "
                        f"une attente à la fois exprimée par les clients et cherchée en ligne.")
    return None


def new_ideas_sentence(mom: pd.DataFrame, month_name: str) -> str:
    """New ideas of the month and the month's suggestions."""
    n_new = int(mom["is_new"].sum())
    verb = "apparaissent" if french.is_plural(n_new) else "apparaît"
    return (f"{french.count(n_new, 'idée nouvelle', 'idées nouvelles')} {verb} ce mois-ci ; "
            f"{french.count(int(mom['ideas_month'].sum()), 'suggestion')} en {month_name}.")


def mom_table(mom: pd.DataFrame) -> pd.DataFrame:
    """The month-over-month ideas with French oui/non."""
    return mom.assign(is_new=mom["is_new"].map({True: "oui", False: "non"}))


def show_mom(mom: pd.DataFrame, month_name: str) -> None:
    """Ideas of the month against the month before (signed changes) and the sentence."""
    reporting.show_table(mom_table(mom), columns={
        "idea_theme": "Idée", "ideas_month": "Ce mois", "ideas_previous_month": "Mois précédent",
        "change": "Évolution", "is_new": "Nouvelle"},
        formats={"ideas_month": "int", "ideas_previous_month": "int", "change": lambda v: reporting.fmt_signed(v)})
    reporting.takeaway(new_ideas_sentence(mom, month_name))
