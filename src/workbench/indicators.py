"""One definition per indicator: the registry every page's key figures, the index and the
synthesis use.

Why: the same indicator used to show different values on different pages ("Mentions de la
marque" 2 903 on one page, 2 635 on another, because one counted retweets), net sentiment
was printed in % on one page and in points on another, and month-over-month changes were
computed on unrounded values that readers could not check by hand. Here each indicator has
one name, one French label, one unit, one French definition (which says what is counted and
what is not) and the table or rule that computes it; values are displayed, rounded and
compared in one place:

* `REGISTRY` / `get(name)` / `label(name)`: the indicators.
* `display(name, value)`: the French text of a value (net sentiment in points, shares in %…).
* `rounded(name, value)`: the value as displayed (e.g. 0.6493 -> 64.9 for a share), so that
  `change(name, now, before)` (in % or in points) is computed on the displayed values.
* `key_figures({name: value})`: `{label: text}` for `reporting.key_figures(notebook, …)`:
  pages publish figures by registry name, so one label always means one definition.
* `conflicting_values(payloads)`: the labels that carry two values in one month's key-figure
  files (`reports/<month>/figures/*.json`), for the mechanical page test.

Nothing here reads data; formatting uses `workbench.reporting`'s French number formats
(imported when a value is displayed, so analysis modules can import the registry).
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

__all__ = [
    "Indicator",
    "REGISTRY",
    "UNITS",
    "get",
    "label",
    "definition",
    "display",
    "rounded",
    "change",
    "display_change",
    "key_figures",
    "definitions_table",
    "conflicting_values",
]

# unit -> the unit as the definitions table names it (values are formatted by `display`)
UNITS = {
    "eur": "euros TTC",
    "count": "nombre",
    "number": "nombre",
    "rate": "%",
    "index": "points, de −100 à +100",
    "hours": "heures",
    "days": "jours",
    "score": "indice",
    "month": "mois",
    "text": "nom",
}


@dataclass(frozen=True)
class Indicator:
    """One indicator: how it is named, shown, defined, computed and compared."""

    name: str  # registry key (English, stable)
    label: str  # French label shown on every page
    unit: str  # one of UNITS
    definition: str  # French: what is counted, what is not
    source: str  # the table / rule that computes it (module.function or processed table)
    page: str  # the report (notebook stem) that shows and explains it
    anchor: str = ""  # section id on that page ('' = top of the page)
    family: str = ""  # "dur" (hard KPI), "doux" (soft KPI) or "" (other key figures)
    change: str = "relative"  # "relative" (% change) or "points" (difference of displayed values)
    better: int = 1  # +1 when up is good, -1 when down is good (e.g. service calls), 0 neutral

    @property
    def link(self) -> str:
        """`<page>.html#<anchor>`: where a reader sees this indicator."""
        return f"{self.page}.html" + (f"#{self.anchor}" if self.anchor else "")


_KPI = "05_monthly_kpis"
_MENTIONS_RULE = ("hors retweets (un retweet mesure la portée, pas la conversation) ; les "
                  "retweets des publications de la marque ne sont donc pas comptés non plus")

_ROWS = [
    # name, label, unit, definition, source, page, anchor, family, change, better
    # ---- hard KPIs (monthly table, 05)
    ("sales", "Chiffre d'affaires du mois", "eur",
     "Somme des montants TTC des tickets et commandes du mois, tous canaux.",
     "kpis.hard_kpis (transactions)", _KPI, "indicateurs", "dur", "relative", 1),
    ("sales_change", "Évolution du CA sur un mois", "text",
     "Chiffre d'affaires du mois / celui du mois précédent − 1, calculé sur les montants affichés "
     "(arrondis à l'euro), pour pouvoir le vérifier à la main.",
     "indicators.display_change", _KPI, "indicateurs", "", "relative", 1),
    ("sales_store", "CA magasins", "eur", "Chiffre d'affaires TTC des tickets en magasin du mois.",
     "kpis.hard_kpis", _KPI, "indicateurs", "dur", "relative", 1),
    ("sales_web", "CA site web", "eur", "Chiffre d'affaires TTC des commandes du site web du mois.",
     "kpis.hard_kpis", _KPI, "indicateurs", "dur", "relative", 1),
    ("sales_app", "CA application", "eur", "Chiffre d'affaires TTC des commandes de l'application du mois.",
     "kpis.hard_kpis", _KPI, "indicateurs", "dur", "relative", 1),
    ("sales_click_collect", "CA click & collect", "eur",
     "Chiffre d'affaires TTC des commandes retirées en magasin du mois.",
     "kpis.hard_kpis", _KPI, "indicateurs", "dur", "relative", 1),
    ("orders", "Nombre de tickets et commandes", "count", "Tickets de caisse et commandes en ligne du mois.",
     "kpis.hard_kpis", _KPI, "indicateurs", "dur", "relative", 1),
    ("average_basket", "Panier moyen", "eur", "Chiffre d'affaires du mois / nombre de tickets et commandes.",
     "kpis.hard_kpis", _KPI, "indicateurs", "dur", "relative", 1),
    ("active_customers", "Clients actifs du mois", "count",
     "Clients identifiés ayant acheté au moins une fois dans le mois (tickets anonymes exclus).",
     "kpis.hard_kpis (transactions.customer_id)", _KPI, "indicateurs", "dur", "relative", 1),
    ("sales_per_customer", "CA par client actif", "eur",
     "Chiffre d'affaires TTC des clients identifiés du mois / clients actifs du mois.",
     "kpis.hard_kpis (transactions.customer_id)", _KPI, "indicateurs", "dur", "relative", 1),
    ("store_traffic", "Fréquentation des magasins", "count",
     "Visiteurs comptés à l'entrée des magasins sur le mois (compteurs quotidiens).",
     "kpis.hard_kpis (daily_kpis)", _KPI, "indicateurs", "dur", "relative", 1),
    ("web_sessions", "Sessions site web", "count", "Sessions du site web sur le mois.",
     "kpis.hard_kpis (daily_kpis)", _KPI, "indicateurs", "dur", "relative", 1),
    ("app_sessions", "Sessions application", "count", "Sessions de l'application sur le mois.",
     "kpis.hard_kpis (daily_kpis)", _KPI, "indicateurs", "dur", "relative", 1),
    ("store_conversion", "Taux de transformation magasin", "rate",
     "Tickets en magasin / visiteurs des magasins du mois.",
     "kpis.hard_kpis", _KPI, "indicateurs", "dur", "points", 1),
    ("online_conversion", "Taux de conversion en ligne", "rate",
     "Commandes web, application et click & collect / sessions web et application du mois.",
     "kpis.hard_kpis", _KPI, "indicateurs", "dur", "points", 1),
    ("customer_service_calls", "Appels au service client", "count",
     "Appels reçus par le service client sur le mois (compteurs quotidiens).",
     "kpis.hard_kpis (daily_kpis)", "06_care_and_ideas", "appels", "dur", "relative", -1),
    # ---- soft KPIs (monthly table, 05)
    ("engagement", "Interactions sur nos publications", "count",
     "Réactions, partages et commentaires reçus dans le mois par les publications de la marque "
     "(hors réponses de la marque aux clients).",
     "kpis.soft_kpis (brand_posts, interactions)", _KPI, "indicateurs", "doux", "relative", 1),
    ("engagement_per_post", "Interactions par publication", "number",
     "Interactions du mois / publications de la marque du mois.",
     "kpis.soft_kpis", _KPI, "indicateurs", "doux", "relative", 1),
    ("mentions", "Mentions de la marque", "count",
     f"Messages publics du mois qui citent la marque, {_MENTIONS_RULE}.",
     "kpis.soft_kpis (mentions)", _KPI, "indicateurs", "doux", "relative", 0),
    ("positive_mentions", "Mentions positives", "count",
     f"Mentions de la marque classées positives par le modèle de sentiment, {_MENTIONS_RULE}.",
     "kpis.soft_kpis + sentiment.score", _KPI, "indicateurs", "doux", "relative", 1),
    ("negative_mentions", "Mentions négatives", "count",
     f"Mentions de la marque classées négatives par le modèle de sentiment, {_MENTIONS_RULE}.",
     "kpis.soft_kpis + sentiment.score", _KPI, "indicateurs", "doux", "relative", -1),
    ("negative_share", "Part de mentions négatives", "rate",
     "Mentions négatives / mentions de la marque du mois (hors retweets).",
     "kpis.soft_kpis", _KPI, "indicateurs", "doux", "points", -1),
    ("net_sentiment", "Sentiment net", "index",
     "(Mentions positives − mentions négatives) / mentions de la marque du mois, hors retweets ; "
     "en points, de −100 (toutes négatives) à +100 (toutes positives). Ce n'est pas un pourcentage.",
     "kpis.soft_kpis", _KPI, "indicateurs", "doux", "points", 1),
    ("share_of_voice", "Part de voix", "rate",
     "Mentions de la marque / mentions de toutes les marques suivies (la marque et ses concurrents), "
     "hors retweets, sur le mois.",
     "kpis.soft_kpis", _KPI, "indicateurs", "doux", "points", 1),
    ("followers", "Abonnés (fin de mois)", "count",
     "Abonnés de la marque sur toutes les plateformes au dernier jour du mois.",
     "kpis.soft_kpis (audience)", _KPI, "tendances", "doux", "relative", 1),
    ("audience_growth", "Croissance de l'audience", "rate",
     "Abonnés en fin de mois / abonnés en fin de mois précédent − 1 (toutes plateformes).",
     "kpis.soft_kpis (audience)", _KPI, "tendances", "doux", "points", 1),
    ("email_open_rate", "Taux d'ouverture des e-mails", "rate",
     "Ouvertures / envois des campagnes envoyées dans le mois.",
     "kpis.soft_kpis (email_events)", _KPI, "indicateurs", "doux", "points", 1),
    ("brand_searches", "Recherches sur la marque", "count",
     "Recherches du mois sur les mots-clés qui contiennent le nom de la marque.",
     "kpis.soft_kpis (search_keywords)", _KPI, "indicateurs", "doux", "relative", 1),
    # ---- model (05)
    ("model_weeks", "Semaines dans le modèle", "count",
     "Semaines complètes utilisées par le modèle de mesure (indicateurs doux → indicateurs durs).",
     "kpis.weekly_kpis", _KPI, "modele", "", "relative", 0),
    ("robust_effects", "Effets robustes (indicateurs doux → durs)", "count",
     "Nombre de liens indicateur doux → indicateur dur retenus : significatifs au seuil de 5 % "
     "après correction de Holm, confirmés par le test de Granger et de même sens que la relation simple.",
     "kpis.hard_soft_models + kpis.robust_effects", _KPI, "modele", "", "relative", 0),
    # ---- data overview (00)
    ("report_month", "Mois du rapport", "month", "Mois civil couvert par le rapport.",
     "datasets.report_month", "00_data_overview", "", "", "relative", 0),
    ("data_period", "Période des données", "text", "Du premier au dernier achat présent dans les données.",
     "datasets (transactions)", "00_data_overview", "", "", "relative", 0),
    ("tables_valid", "Tables valides", "text", "Tables lues sans erreur de contrat / tables attendues.",
     "quality.table_status", "00_data_overview", "", "", "relative", 0),
    ("tables_refused", "Tables refusées (invalides)", "count",
     "Tables présentes mais refusées par leur contrat (colonnes ou valeurs invalides).",
     "quality.flags_summary", "00_data_overview", "", "", "relative", -1),
    ("customers", "Clients", "count", "Clients présents dans le fichier clients.",
     "datasets (customers)", "00_data_overview", "", "", "relative", 0),
    ("purchases", "Achats", "count", "Tickets et commandes valides sur toute la période des données.",
     "datasets (transactions)", "00_data_overview", "", "", "relative", 0),
    ("rows_flagged", "Lignes signalées (liens, cohérence)", "count",
     "Lignes dont un identifiant ne renvoie à rien ou dont les valeurs se contredisent.",
     "quality.flags_summary", "00_data_overview", "", "", "relative", -1),
    ("email_consent", "Consentement e-mail", "rate", "Clients ayant accepté les e-mails / clients.",
     "datasets (customers)", "00_data_overview", "", "", "points", 1),
    ("ambassador_consent", "Consentement ambassadeur", "rate",
     "Clients ayant accepté d'être contactés comme ambassadeurs / clients.",
     "datasets (customers)", "00_data_overview", "", "", "points", 1),
    # ---- segmentation and value (01)
    ("buyers", "Clients acheteurs sur la période", "count", "Clients ayant au moins un achat sur la période.",
     "segmentation.customer_features", "01_segmentation", "", "", "relative", 1),
    ("clv_total", "Valeur client attendue sur 12 mois (total)", "eur",
     "Somme des chiffres d'affaires attendus des clients sur les 12 prochains mois (BG/NBD + Gamma-Gamma).",
     "clv", "01_segmentation", "", "", "relative", 1),
    ("clv_mean", "Valeur client moyenne sur 12 mois", "eur",
     "Valeur client attendue sur 12 mois / clients acheteurs.",
     "clv", "01_segmentation", "", "", "relative", 1),
    ("web_to_store", "Clients web-to-store", "count",
     "Clients qui cherchent en ligne et achètent en magasin.",
     "segmentation", "01_segmentation", "", "", "relative", 1),
    ("customer_open_rate", "Taux d'ouverture e-mail par client (destinataires, 12 mois)", "rate",
     "Moyenne, sur les clients ayant reçu au moins un e-mail, de leur taux d'ouverture personnel "
     "(différent du taux d'ouverture des campagnes du mois).",
     "segmentation.customer_features", "01_segmentation", "", "", "points", 1),
    ("n_segments", "Segments retenus", "count", "Nombre de segments comportementaux retenus par la segmentation.",
     "segmentation", "01_segmentation", "", "", "relative", 0),
    ("top_value_segment", "Segment qui porte le plus de valeur client", "text",
     "Segment dont la valeur client attendue sur 12 mois (somme) est la plus forte.",
     "segmentation + clv", "01_segmentation", "", "", "relative", 0),
    ("top_value_segment_share", "Part de la valeur client de ce segment", "rate",
     "Valeur client attendue du segment qui pèse le plus / valeur client attendue totale.",
     "segmentation + clv", "01_segmentation", "", "", "points", 0),
    ("fastest_platform", "Plateforme à la plus forte croissance", "text",
     "Réseau social dont l'audience de la marque a le plus progressé sur la période.",
     "segmentation (audience)", "01_segmentation", "", "", "relative", 0),
    ("segment_stay", "Clients restés dans leur segment de comportement (90 jours)", "rate",
     "Clients classés dans le même segment de comportement (calculé sur 90 jours) le mois précédent et ce "
     "mois-ci / clients classés les deux mois.",
     "segmentation", "01_segmentation", "", "", "points", 0),
    ("value_segment_moves", "Clients ayant changé de segment de valeur", "rate",
     "Clients dont le segment de valeur (RFM) a changé depuis le mois précédent / clients classés les deux mois.",
     "segmentation", "01_segmentation", "", "", "points", 0),
    ("interest_customers", "Clients avec un centre d'intérêt marqué", "rate",
     "Clients dont une catégorie domine leurs achats, leurs publications ou leur bio / clients.",
     "segmentation", "01_segmentation", "", "", "points", 0),
    ("social_linked_customers", "Clients avec un compte social identifié", "count",
     "Clients du CRM rattachés à au moins un compte social (un client peut avoir plusieurs comptes).",
     "identity", "01_segmentation", "", "", "relative", 1),
    # ---- journeys (02)
    ("journeys_completed", "Parcours terminés dans le mois", "count",
     "Parcours clients (suite de points de contact) terminés dans le mois, par un achat ou non.",
     "journey", "02_customer_journey", "", "", "relative", 1),
    ("journey_conversion", "Taux de conversion des parcours (clients identifiés)", "rate",
     "Parcours terminés par un achat / parcours des clients identifiés (parcours anonymes exclus).",
     "journey", "02_customer_journey", "", "", "points", 1),
    ("ropo_share", "Achats en magasin précédés d'une recherche en ligne", "rate",
     "Achats en magasin dont le parcours contient une recherche en ligne / achats en magasin.",
     "journey", "02_customer_journey", "", "", "points", 0),
    ("median_days_to_purchase", "Délai médian jusqu'à l'achat", "days",
     "Médiane, sur les parcours terminés par un achat, du délai entre le premier contact et l'achat.",
     "journey", "02_customer_journey", "", "", "relative", 0),
    ("markov_top_channel", "Canal le plus contributif (Markov)", "text",
     "Canal dont le retrait ferait perdre le plus d'achats (attribution par chaînes de Markov).",
     "attribution", "02_customer_journey", "", "", "relative", 0),
    ("markov_top_share", "Part des achats du canal le plus contributif (Markov)", "rate",
     "Part des achats attribuée à ce canal par les chaînes de Markov.",
     "attribution", "02_customer_journey", "", "", "points", 0),
    # ---- ambassadors (04)
    ("linked_accounts", "Comptes sociaux reliés à un client", "count",
     "Comptes sociaux rattachés à un client du CRM par le rapprochement d'identités.",
     "identity", "04_ambassadors", "", "", "relative", 1),
    ("ambassadors", "Ambassadeurs retenus", "count", "Clients retenus dans le panel d'ambassadeurs du mois.",
     "ambassadors", "04_ambassadors", "", "", "relative", 0),
    ("offline_ambassador_share", "Part d'ambassadeurs hors ligne", "rate",
     "Ambassadeurs retenus par leur activité en magasin (sans audience en ligne) / ambassadeurs retenus.",
     "ambassadors", "04_ambassadors", "", "", "points", 0),
    ("store_nominated", "Ambassadeurs nommés par un magasin", "count",
     "Ambassadeurs retenus qui ont été recommandés par le personnel d'un magasin.",
     "ambassadors", "04_ambassadors", "", "", "relative", 0),
    ("excluded_no_consent", "Clients exclus faute de consentement", "count",
     "Clients écartés de la sélection parce qu'ils n'ont pas accepté le programme ambassadeurs.",
     "ambassadors", "04_ambassadors", "", "", "relative", 0),
    ("detractors_excluded", "Détracteurs écartés du panel", "count",
     "Clients au solde de mentions négatif écartés de la sélection des ambassadeurs.",
     "ambassadors", "04_ambassadors", "", "", "relative", 0),
    ("open_complaint_excluded", "Clients écartés pour réclamation sans réponse", "count",
     "Clients écartés de la sélection parce qu'une de leurs réclamations attend encore une réponse.",
     "ambassadors", "04_ambassadors", "", "", "relative", 0),
    ("list_entries", "Entrées dans la liste depuis le mois précédent", "count",
     "Ambassadeurs retenus ce mois-ci qui ne l'étaient pas le mois précédent.",
     "ambassadors", "04_ambassadors", "", "", "relative", 0),
    # ---- listening (03)
    ("representativeness_diverse", "Distance à la clientèle, panel divers", "score",
     "Écart de composition entre le panel d'ambassadeurs et la base clients (région, âge, en ligne / "
     "hors ligne, segment client), en moyenne sur ces dimensions : 0 = même composition que la "
     "clientèle, 1 = aucune catégorie en commun. Plus il est bas, plus le panel ressemble aux clients.",
     "ambassadors.representativeness", "04_ambassadors", "", "", "relative", -1),
    ("representativeness_score_only", "Distance à la clientèle, seul score", "score",
     "Le même écart pour une sélection des meilleurs scores sans quotas (0 = même composition que la "
     "clientèle) : à comparer à celui du panel divers, pour voir ce que les quotas corrigent.",
     "ambassadors.representativeness", "04_ambassadors", "", "", "relative", -1),
    ("alignment", "Alignement consommateurs / marque", "score",
     "Similarité (0 à 1) entre les concepts (mots et expressions) dont parlent les consommateurs et "
     "ceux que publie la marque : 0 = aucun concept en commun, 1 = les mêmes concepts dans les mêmes "
     "proportions. Plus il est bas, plus la marque parle d'autre chose que ses clients.",
     "concepts", "03_social_listening", "", "", "relative", 1),
    # ---- listening (03)
    ("listening_alerts", "Alertes du mois", "count",
     "Pics de mentions négatives sur un thème détectés dans le mois (au-delà du niveau attendu).",
     "concepts.negative_alerts", "03_social_listening", "", "", "relative", -1),
    ("top_alert", "Principale alerte", "text", "Thème, service concerné et date de début de la plus grosse alerte.",
     "concepts.negative_alerts", "03_social_listening", "", "", "relative", 0),
    ("unclassified_share", "Mentions non classées", "rate",
     "Mentions de la marque du mois qu'aucun thème de la taxonomie ne reconnaît.",
     "concepts.untagged_share", "03_social_listening", "", "", "points", -1),
    # ---- care (06)
    ("care_requests", "Questions et réclamations adressées à la marque (mois)", "count",
     "Messages du mois adressés à la marque qui demandent une réponse (questions, réclamations).",
     "care.care_items", "06_care_and_ideas", "reponses", "", "relative", 0),
    ("care_answered_share", "Part répondue par la marque", "rate",
     "Questions et réclamations du mois auxquelles la marque a répondu / questions et réclamations.",
     "care.care_items", "06_care_and_ideas", "reponses", "", "points", 1),
    ("care_median_response", "Délai médian de première réponse", "hours",
     "Médiane, sur les messages répondus du mois, du délai entre le message et la première réponse.",
     "care.care_items", "06_care_and_ideas", "reponses", "", "relative", -1),
    ("care_unanswered", "Messages sans réponse (mois)", "count",
     "Questions et réclamations du mois restées sans réponse de la marque.",
     "care.care_items", "06_care_and_ideas", "reponses", "", "relative", -1),
    ("suggestions", "Suggestions de clients (mois)", "count",
     "Messages du mois qui proposent une idée ou une amélioration.",
     "care.suggestions", "06_care_and_ideas", "idees", "", "relative", 1),
    ("top_idea", "Idée la plus fréquente", "text", "Thème d'idée le plus cité sur la période.",
     "care.idea_board", "06_care_and_ideas", "idees", "", "relative", 0),
    ("new_ideas", "Nouvelles idées du mois", "count", "Thèmes d'idées apparus ce mois-ci.",
     "care.idea_board", "06_care_and_ideas", "idees", "", "relative", 0),
]

REGISTRY: dict[str, Indicator] = {r[0]: Indicator(*r) for r in _ROWS}
if len(REGISTRY) != len(_ROWS) or len({i.label for i in REGISTRY.values()}) != len(_ROWS):
    raise RuntimeError("indicator registry: duplicate name or label")  # pragma: no cover
_BAD_UNITS = [i.name for i in REGISTRY.values() if i.unit not in UNITS]
if _BAD_UNITS:
    raise RuntimeError(f"indicator registry: unknown unit for {_BAD_UNITS}")  # pragma: no cover


def get(name: str) -> Indicator:
    """The registered indicator `name`; a clear error lists the names when it is unknown."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown indicator {name!r}; registered: {sorted(REGISTRY)}") from None


def label(name: str) -> str:
    """The French label of `name` (the same on every page)."""
    return get(name).label


def definition(name: str) -> str:
    """The French definition of `name`."""
    return get(name).definition


# --------------------------------------------------------------------------- values


def _missing(x) -> bool:
    try:
        return x is None or bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


_DECIMALS = {"eur": 0, "count": 0, "number": 1, "rate": 1, "index": 0, "hours": 1, "days": 1, "score": 3}


def rounded(name: str, value):
    """The value as displayed, as a number: euros and counts to the unit, shares in % with one
    decimal (0.6493 -> 64.9), net sentiment in points without decimal (-0.071 -> -7).
    Text, months and missing values come back unchanged (None for missing)."""
    ind = get(name)
    if _missing(value):
        return None
    if ind.unit not in _DECIMALS:
        return value
    x = float(value)
    if ind.unit == "rate":
        x *= 100
    elif ind.unit == "index":
        x *= 100
    d = _DECIMALS[ind.unit]
    out = round(x + 0.0, d)  # round half to even is fine for display; +0.0 folds -0.0
    return int(out) if d == 0 else out


def display(name: str, value) -> str:
    """French text of a value of `name`: '2 508 509 €', '64,9 %', '−7 pt', '4,6 h', 'octobre 2026'
    (negatives with the typographic minus of `reporting.fmt_num`, net sentiment signed).
    A missing value shows as '–'."""
    from workbench.reporting import fmt_num, fmt_signed, month_label

    ind = get(name)
    if _missing(value):
        return "–"
    if ind.unit == "month":
        return month_label(str(value))
    if ind.unit == "text":
        return str(value)
    r = rounded(name, value)
    d = _DECIMALS[ind.unit]
    if ind.unit == "index":
        return fmt_signed(r, d, "pt")
    suffix = {"eur": "\u00a0€", "rate": "\u00a0%", "hours": "\u00a0h", "days": "\u00a0j"}.get(ind.unit, "")
    return fmt_num(r, d) + suffix


def change(name: str, now, before) -> float | None:
    """Change of `name` from `before` to `now`, computed on the displayed (rounded) values so a
    reader can check it by hand: in % for relative indicators (0.123 = +12,3 %), in points for
    shares and net sentiment (the difference of the displayed numbers: 64,0 % vs 64,9 % ->
    -0.9). None when a value is missing or the base is zero."""
    ind = get(name)
    a, b = rounded(name, now), rounded(name, before)
    if a is None or b is None or ind.unit in ("text", "month"):
        return None
    if ind.change == "points":
        return round(a - b, _DECIMALS[ind.unit])
    return None if b == 0 else a / b - 1


def display_change(name: str, now, before) -> str:
    """French text of `change`: '−12,3 %' or '−32 pt' / '−0,9 pt'; '–' when not computable
    (`reporting.fmt_signed`: the pages' one signed format)."""
    from workbench.reporting import fmt_signed

    ind = get(name)
    c = change(name, now, before)
    if c is None:
        return "–"
    if ind.change == "points":
        return fmt_signed(c, _DECIMALS[ind.unit], "pt")
    return fmt_signed(100 * c, 1, "%")


def key_figures(values: dict) -> dict:
    """`{registry name: value}` -> `{French label: French text}` for `reporting.key_figures`.

    Pages publish their key figures through this, so one label always carries one definition
    and one display rule; an unknown name is an error (register it first)."""
    if not isinstance(values, dict) or not values:
        raise ValueError("key figures: expected a non-empty dict {indicator name: value}")
    return {label(name): display(name, v) for name, v in values.items()}


def definitions_table(names) -> pd.DataFrame:
    """French table of the indicators `names`: Indicateur, Définition, Unité (for a page's
    glossary, so readers see what each figure counts)."""
    rows = [{"Indicateur": get(n).label, "Définition": get(n).definition, "Unité": UNITS[get(n).unit]}
            for n in names]
    return pd.DataFrame(rows, columns=["Indicateur", "Définition", "Unité"])


# --------------------------------------------------------------------------- one value per label


def _norm_label(text: str) -> str:
    """Label folded for comparison: accents, case, a trailing '(mois)' and spacing ignored, so
    'Mentions de la marque (mois)' and 'Mentions de la marque' count as the same label."""
    t = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().lower()
    t = re.sub(r"\((du )?mois\)\s*$", "", t)
    return re.sub(r"\s+", " ", t).strip(" :")


def _norm_value(text) -> str:
    return re.sub(r"[\s\u00a0\u202f]+", " ", str(text)).strip()


def _payloads(files) -> list[dict]:
    out = []
    for f in files:
        if isinstance(f, dict):
            out.append(f)
        else:
            p = Path(f)
            data = json.loads(p.read_text(encoding="utf-8"))
            data.setdefault("notebook", p.stem)
            out.append(data)
    return out


def conflicting_values(key_figure_files) -> pd.DataFrame:
    """Labels that carry two values in one month: one row per (label, page, value) of every label
    shown with different values on different pages (or twice on one page).

    key_figure_files: paths of `reports/<month>/figures/*.json` or their loaded payloads
    (`{"notebook": …, "figures": [{"label", "text"}, …]}`). Labels are compared with accents,
    case and a trailing '(mois)' ignored; values as displayed (spacing ignored). Columns:
    label, notebook, text. Empty when every label has one value.
    """
    rows = []
    for data in _payloads(key_figure_files):
        for fig in data.get("figures", []):
            text = fig.get("text")
            if text is None:
                v = fig.get("value")
                text = "–" if v is None or (isinstance(v, float) and math.isnan(v)) else v
            rows.append({"key": _norm_label(fig["label"]), "label": fig["label"],
                         "notebook": data.get("notebook", ""), "text": _norm_value(text)})
    cols = ["label", "notebook", "text"]
    if not rows:
        return pd.DataFrame(columns=cols)
    df = pd.DataFrame(rows)
    n_values = df.groupby("key")["text"].transform("nunique")
    return df.loc[n_values > 1, cols].sort_values(["label", "notebook"]).reset_index(drop=True)
