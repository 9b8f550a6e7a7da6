"""The tables, charts and "À retenir : …" sentences of the ambassadors page (04).

Why here: written inline, the page's French tables (renamed columns, oui/non, labels) and its
computed sentences made the notebook a long formatting chain. Each `*_table` function returns
the table the page shows (French headers), each `*_sentence` function the plain French text
passed to `reporting.takeaway` (which escapes it); `show_*` and `plot_*` put them on the page.
The analyses stay in `workbench.ambassadors`; this module only presents their results.
"""

from __future__ import annotations

import pandas as pd

from workbench import ambassadors as amb
from workbench import reporting
from workbench.reporting import fmt_int, fmt_num, fmt_pct

YES_NO = {True: "oui", False: "non"}
INTERACTION_FR = {"retweet": "retweet", "share": "partage", "reply": "réponse", "comment": "commentaire",
                  "like": "j'aime", "mention": "mention"}
DIMENSION_FR = {"region": "Région", "age_band": "Tranche d'âge", "online": "En ligne / hors ligne",
                "segment": "Segment client", "moyenne": "Moyenne"}


# --------------------------------------------------------------------------- 1. identity links


def links_table(links: pd.DataFrame) -> pd.DataFrame:
    """Counts of the social-account ↔ customer matching (`identity.links_for_month` attrs)."""
    la = links.attrs
    return pd.DataFrame({"Nombre": [
        la["person_accounts"], la["non_person_accounts_excluded"], len(links),
        links["customer_id"].nunique(), la["ambiguous_accounts"]]},
        index=pd.Index(["Comptes personnels examinés", "Comptes de marques écartés", "Comptes reliés à un client",
                        "Clients reliés à au moins un compte", "Comptes non reliés : homonymes à égalité"],
                       name="Rapprochement"))


def link_levels(explained: pd.DataFrame) -> pd.DataFrame:
    """Links and median Bayes factor per comparison level reached (`ambassadors.explain_links`)."""
    return (explained.groupby(["comparaison", "niveau"])
            .agg(liens=("account_id", "size"), facteur=("facteur_bayes", "median")).reset_index())


def lowest_links(links: pd.DataFrame, explained: pd.DataFrame, n: int = 5) -> pd.DataFrame:
    """The explanation rows of the `n` least certain links above the threshold."""
    lowest = links.nsmallest(n, "match_probability")[["customer_id", "account_id", "match_probability"]]
    return explained.merge(lowest, on=["customer_id", "account_id"])


def links_sentence(links: pd.DataFrame) -> str:
    return (f"{fmt_int(len(links))} comptes sociaux sont reliés à {fmt_int(links['customer_id'].nunique())} clients ; "
            f"{fmt_pct((links['match_probability'] >= 0.95).mean())} des liens ont une probabilité d'au moins 95 %.")


def show_links(links: pd.DataFrame, explained: pd.DataFrame) -> None:
    """The matching counts and the levels reached."""
    reporting.show_table(links_table(links), formats={"Nombre": "int"}, index=True)
    reporting.show_table(link_levels(explained), columns={
        "comparaison": "Comparaison", "niveau": "Niveau atteint", "liens": "Liens", "facteur": "Facteur de Bayes médian"},
        formats={"liens": "int", "facteur": "num1"}, max_rows=20)


def show_lowest_links(links: pd.DataFrame, explained: pd.DataFrame, n: int = 5) -> None:
    reporting.show_table(lowest_links(links, explained, n), columns={
        "customer_id": "Client", "account_id": "Compte", "match_probability": "Probabilité", "comparaison": "Comparaison",
        "niveau": "Niveau", "facteur_bayes": "Facteur de Bayes"},
        formats={"match_probability": "pct", "facteur_bayes": "num2"}, max_rows=20)


def plot_link_probabilities(links: pd.DataFrame, threshold: float):
    """Histogram of the retained links' probabilities, the threshold marked; returns the Axes."""
    import seaborn as sns

    ax = sns.histplot(links["match_probability"], bins=20, color="#3366cc")
    ax.axvline(threshold, color="#cc3333", linestyle="--", label="seuil de rapprochement")
    ax.set_title("Probabilité des liens compte social ↔ client retenus")
    ax.set_xlabel("Probabilité de correspondance")
    ax.set_ylabel("Liens")
    ax.legend()
    return ax


# --------------------------------------------------------------------------- 2. influence


def topics_by_customer(saved_segments: pd.DataFrame | None, period, category_label) -> pd.Series | None:
    """What each customer buys with passion (the `interests` of 01's segments table for `period`,
    category names joined by ", "); None when that table is missing or for another month."""
    if (saved_segments is None or "interests" not in saved_segments.columns
            or not saved_segments["month"].eq(str(period)).all()):
        return None
    return saved_segments.set_index("customer_id")["interests"].map(
        lambda s: ", ".join(category_label(c) for c in s.split("|") if c) if isinstance(s, str) else "")


def edge_weights_table(edge_weights: dict, edges: pd.DataFrame) -> pd.DataFrame:
    """Weight and count of each interaction type (French names)."""
    return (pd.DataFrame({"Poids": pd.Series(edge_weights),
                          "Interactions": pd.Series(edges.attrs["actions_by_type"]).reindex(list(edge_weights)).fillna(0)})
            .rename(index=INTERACTION_FR).rename_axis("Type d'interaction"))


def top_accounts(accounts: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    return accounts.sort_values(["influence", "account_id"], ascending=[False, True]).head(n)


def top_accounts_table(top: pd.DataFrame, links: pd.DataFrame, platform_label) -> pd.DataFrame:
    """The most influential accounts, for the page: CRM customer and detractor as oui/non,
    influence in ‰, platform names, "aucun sujet repéré" for no topic."""
    return top.assign(
        client=top["account_id"].isin(set(links["account_id"])).map(YES_NO),
        influence=top["influence"] * 1000,
        platform=top["platform"].map(platform_label),
        main_topic=top["main_topic"].fillna("aucun sujet repéré"),
        detractor=top["detractor"].astype(bool).map(YES_NO))


def top_accounts_sentence(top: pd.DataFrame, links: pd.DataFrame) -> str:
    return (f"les {len(top)} comptes les plus influents comptent "
            f"{fmt_int(int(top['account_id'].isin(set(links['account_id'])).sum()))} "
            f"clients du fichier et {fmt_int(int(top['detractor'].astype(bool).sum()))} détracteur(s).")


def show_top_accounts(top: pd.DataFrame, links: pd.DataFrame, platform_label) -> None:
    reporting.show_table(top_accounts_table(top, links, platform_label), columns={
        "account_id": "Compte", "platform": "Réseau", "influence": "Influence (‰)",
        "amplification_per_post": "Relais / publication", "conversations_per_post": "Conversations / publication",
        "followers": "Abonnés", "main_topic": "Sujet principal", "sentiment": "Tonalité (−1 à +1)",
        "detractor": "Détracteur", "client": "Client CRM"},
        formats={"influence": "num2", "amplification_per_post": "num1", "conversations_per_post": "num1",
                 "followers": "int", "sentiment": "num2"})


def plot_audience_influence(accounts: pd.DataFrame):
    """Followers against PageRank of the active accounts (log scales, detractors in red)."""
    import seaborn as sns

    active = accounts[accounts["posts"] > 0]
    ax = sns.scatterplot(data=active, x="followers", y="influence", hue="detractor", s=18,
                         palette={False: "#3366cc", True: "#cc3333"})
    reporting.log_axis(ax, "x")
    reporting.log_axis(ax, "y")
    ax.set_title("L'audience n'est pas l'influence : abonnés et PageRank des comptes actifs")
    ax.set_xlabel("Abonnés (échelle log)")
    ax.set_ylabel("Influence (échelle log)")
    handles, _ = ax.get_legend_handles_labels()
    ax.legend(handles, ["non détracteur", "détracteur"], title="")
    return ax


def detractors_sentence(accounts: pd.DataFrame) -> str:
    return (f"{fmt_int(int(accounts['detractor'].sum()))} comptes actifs sont détracteurs ; beaucoup d'abonnés ne "
            "font pas l'influence : ce sont les relais et les conversations qui la font.")


# --------------------------------------------------------------------------- 3. engagement score


def signal_weights_table(weights: dict) -> pd.DataFrame:
    """Weight and share of the score of each engagement signal (French signal names)."""
    w = pd.Series(weights)
    return pd.DataFrame({"Poids": w.to_numpy(), "Part du score": (w / w.sum()).to_numpy()},
                        index=pd.Index(w.index.map(amb.SIGNAL_LABELS), name="Signal"))


def plot_score_by_path(pool: pd.DataFrame):
    import seaborn as sns

    ax = sns.boxplot(data=pool, x="score", y="path", color="#99bbee")
    ax.set_title("Score d'engagement selon le parcours")
    ax.set_xlabel("Score d'engagement (0 à 1)")
    ax.set_ylabel("")
    return ax


def score_by_path_sentence(pool: pd.DataFrame) -> str:
    med = pool.groupby("path")["score"].median()
    return f"le score médian le plus élevé est celui du parcours « {med.idxmax()} » ({fmt_num(med.max(), 2)})."


# --------------------------------------------------------------------------- 4. pool


def pool_table(pool: pd.DataFrame) -> pd.DataFrame:
    """The pool's counts (`ambassadors` pool attrs): who is in, who is excluded and why."""
    pa = pool.attrs
    return pd.DataFrame({"Nombre": [
        pa["customers"], len(pool), pa["small_store_not_nominated"], pa["nominations"],
        pa["nominations_unknown_customer"], pa["nominated_unscored"], pa["excluded_no_consent"],
        pa["excluded_detractors"], pa["excluded_open_complaints"], pa["eligible"],
    ]}, index=pd.Index([
        "Clients du CRM", "Clients dans le vivier", "Petits magasins, non nommés (hors vivier)",
        "Nominations du personnel (toutes dates)", "Nominations de clients inconnus du CRM",
        "Nommés, non scorés (gardés)", "Exclus : pas de consentement", "Exclus : détracteurs",
        "Exclus : réclamation sans réponse", "Sélectionnables",
    ], name="Vivier"))


def pool_sentence(pool: pd.DataFrame) -> str:
    pa = pool.attrs
    return (f"{fmt_int(pa['eligible'])} clients sont sélectionnables ; {fmt_int(pa['excluded_detractors'])} "
            f"détracteurs et {fmt_int(pa['excluded_open_complaints'])} clients avec une réclamation sans réponse "
            "ont été écartés malgré leur consentement.")


def path_table(pool: pd.DataFrame) -> pd.DataFrame:
    """Customers, consenting, eligible, nominated and median score per path."""
    return pool.groupby("path").agg(clients=("customer_id", "size"), consentants=("ambassador_consent", "sum"),
                                    eligibles=("eligible", "sum"), nommes=("nominated", "sum"),
                                    score_median=("score", "median")).rename_axis("Parcours")


def show_pool(pool: pd.DataFrame) -> None:
    """The pool's counts, its takeaway, and the table per path."""
    reporting.show_table(pool_table(pool), formats={"Nombre": "int"}, index=True)
    reporting.takeaway(pool_sentence(pool))
    reporting.show_table(path_table(pool), columns={
        "Parcours": "Parcours", "clients": "Clients", "consentants": "Consentants", "eligibles": "Sélectionnables",
        "nommes": "Nommés", "score_median": "Score médian"},
        formats={"clients": "int", "consentants": "int", "eligibles": "int", "nommes": "int", "score_median": "num2"},
        index=True)


# --------------------------------------------------------------------------- 5. representativeness


def show_representativeness(rep: pd.DataFrame) -> None:
    reporting.show_table(rep.rename(index=DIMENSION_FR).rename_axis("Dimension"), columns={
        "Dimension": "Dimension", "diverse": "Panel divers", "score_only": "Sélection au seul score"},
        formats={"diverse": lambda v: fmt_num(v, 3), "score_only": lambda v: fmt_num(v, 3)}, index=True)


def plot_representativeness(rep: pd.DataFrame):
    plot_rep = rep.drop(index="moyenne").rename(index=DIMENSION_FR).rename(
        columns={"diverse": "Panel divers", "score_only": "Sélection au seul score"})
    ax = plot_rep.plot.barh(color=["#3366cc", "#cc9933"])
    ax.set_title("Distance à la clientèle réelle (plus bas = plus représentatif)")
    ax.set_xlabel("Distance de variation totale")
    ax.set_ylabel("")
    return ax


def representativeness_sentence(rep: pd.DataFrame) -> str:
    return (f"le panel divers est à {fmt_num(rep.loc['moyenne', 'diverse'], 3)} de la clientèle réelle "
            f"(distance moyenne), contre {fmt_num(rep.loc['moyenne', 'score_only'], 3)} pour une sélection au seul "
            "score.")


def online_mix(base: pd.DataFrame, panel_ids, score_only_ids) -> pd.DataFrame:
    """Share online / offline in the customer base, the diverse panel and the score-only pick."""
    online = base.set_index("customer_id")["online"]
    return pd.concat({
        "Base clients": base["online"].value_counts(normalize=True),
        "Panel divers": online.loc[panel_ids].value_counts(normalize=True),
        "Seul score": online.loc[score_only_ids].value_counts(normalize=True),
    }, axis=1).fillna(0).rename_axis("En ligne / hors ligne")


# --------------------------------------------------------------------------- 6. shortlist


def shortlist_export(short: pd.DataFrame, stores: pd.DataFrame, period, store_format_label) -> pd.DataFrame:
    """The shortlist with its store name, French store format and month (the monthly export)."""
    return short.assign(store_name=short["store_id"].map(stores.set_index("store_id")["store_name"]),
                        store_format=short["store_format"].map(store_format_label, na_action="ignore"),
                        month=str(period))


def csv_export(full: pd.DataFrame) -> pd.DataFrame:
    """The shortlist export for Excel: French column names, no store code."""
    return full.drop(columns=["store_id"]).rename(columns={**amb.SHORTLIST_LABELS, "store_name": "magasin"})


def show_shortlist(full: pd.DataFrame, shown: int) -> None:
    reporting.show_table(full.head(shown).assign(nominated=full["nominated"].map(YES_NO)), columns={
        "rank": "Rang", "customer_id": "Client", "score": "Score", "explanation": "Pourquoi (part de chaque signal)",
        "topics": "Sujets", "store_name": "Magasin", "path": "Parcours", "nominated": "Nommé par le magasin"},
        formats={"rank": "int", "score": "num2"}, max_rows=shown)


def shortlist_sentence(full: pd.DataFrame, exclude_risks: bool) -> str:
    if not exclude_risks:
        return (f"{fmt_int(len(full))} ambassadeurs retenus, dont {fmt_int(int(full['detractor'].sum()))} "
                "détracteur(s) signalé(s).")
    first = full.iloc[0]
    return (f"{fmt_int(len(full))} ambassadeurs retenus, aucun détracteur ni client avec une réclamation sans "
            f"réponse ; le premier ({first['customer_id']}) doit surtout son score à "
            f"{first['explanation'].split(' · ')[0]}.")


# --------------------------------------------------------------------------- 7. entries and exits


def move_reasons(moves: pd.DataFrame) -> pd.Series:
    """Customers per reason of entry or exit (details in brackets dropped), most frequent first."""
    return moves["raison"].str.replace(r" \(.*\)$", "", regex=True).value_counts()


def moves_sentence(moves: pd.DataFrame, period) -> str:
    reasons = move_reasons(moves)
    if not len(reasons):
        return "la liste n'a pas changé depuis le mois précédent."
    n_in, n_out = int((moves["mouvement"] == "entrée").sum()), int((moves["mouvement"] == "sortie").sum())
    return (f"{fmt_int(n_in)} entrées et {fmt_int(n_out)} sorties depuis "
            f"{reporting.month_label(str(pd.Period(period, freq='M') - 1))} ; "
            f"raison la plus fréquente : « {reasons.index[0]} ».")


def show_moves(moves: pd.DataFrame, period) -> None:
    """Reasons table, the first moves, and the takeaway."""
    reporting.show_table(move_reasons(moves).rename("Clients").rename_axis("Raison").to_frame(),
                         formats={"Clients": "int"}, index=True)
    reporting.show_table(moves, columns={"customer_id": "Client", "mouvement": "Mouvement", "raison": "Raison"},
                         max_rows=10)
    reporting.takeaway(moves_sentence(moves, period))


# --------------------------------------------------------------------------- 8. reweighting


def reweight_explorer(select, weights: dict):
    """Sliders (one per signal weight) that re-run `select(weights)` (a `select_ambassadors`
    call returning its dict) and show the first ten of the shortlist and the representativeness.
    Only in JupyterLab; returns the widget box."""
    import ipywidgets as widgets

    def _show(**ws):
        r = select(ws)
        reporting.show_table(r["shortlist"].head(10), columns={
            "rank": "Rang", "customer_id": "Client", "score": "Score", "explanation": "Pourquoi", "path": "Parcours"})
        reporting.show_table(r["representativeness"].rename(index=DIMENSION_FR), index=True)

    sliders = {k: widgets.FloatSlider(value=v, min=0, max=5, step=0.5, description=amb.SIGNAL_LABELS[k],
                                      style={"description_width": "220px"}, layout={"width": "480px"})
               for k, v in weights.items()}
    return widgets.VBox([widgets.VBox(list(sliders.values())), widgets.interactive_output(_show, sliders)])
