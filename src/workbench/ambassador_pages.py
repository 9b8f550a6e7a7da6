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
from workbench import french, reporting
from workbench.frames import is_in
from workbench.reporting import fmt_int, fmt_num, fmt_pct

YES_NO = {True: "oui", False: "non"}
INTERACTION_FR = {"retweet": "retweet", "share": "partage", "reply": "réponse", "comment": "commentaire",
                  "like": "j'aime", "mention": "mention"}
PANEL_DIMENSIONS_FR = {"region": "Région", "age_band": "Tranche d'âge", "online": "En ligne / hors ligne",
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


def lowest_links_wide(links: pd.DataFrame, explained: pd.DataFrame, n: int = 5) -> pd.DataFrame:
    """One line per link among the `n` least certain ones: client, account, probability, and the
    level reached on each comparison (one column per comparison)."""
    low = lowest_links(links, explained, n)
    if low.empty:
        return pd.DataFrame(columns=["customer_id", "account_id", "match_probability"])
    wide = low.pivot_table(index=["customer_id", "account_id", "match_probability"], columns="comparaison",
                           values="niveau", aggfunc="first")
    wide.columns = [str(c).capitalize() for c in wide.columns]
    return wide.reset_index().sort_values(["match_probability", "customer_id"]).reset_index(drop=True)


def lowest_links_sentence(links: pd.DataFrame, wide: pd.DataFrame, threshold: float) -> str:
    """What the least certain links rest on, and that they are kept (above the threshold)."""
    if wide.empty:
        return "aucun lien à vérifier."
    lo, hi = wide["match_probability"].min(), wide["match_probability"].max()
    n_weak = int((links["match_probability"] < 0.9).sum())
    span = f"tous à {fmt_pct(lo)}" if fmt_pct(lo) == fmt_pct(hi) else f"{fmt_pct(lo)} à {fmt_pct(hi)}"
    return (f"les liens les moins sûrs ({span}) dépassent le seuil de {fmt_pct(threshold)} : "
            f"ils sont gardés, et un client relié ainsi peut entrer dans le vivier par la voie en ligne. "
            f"{french.count(n_weak, 'lien')} sous 90 % sont à vérifier avant de contacter le client "
            f"(la liste courte indique la probabilité du lien de chaque ambassadeur en ligne).")


def show_lowest_links(links: pd.DataFrame, explained: pd.DataFrame, n: int = 5, threshold: float = 0.6) -> None:
    """The `n` least certain links, one line each, and whether they are kept."""
    wide = lowest_links_wide(links, explained, n)
    reporting.show_table(wide, columns={"customer_id": "Client", "account_id": "Compte",
                                        "match_probability": "Probabilité",
                                        **{c: c for c in wide.columns if c not in ("customer_id", "account_id",
                                                                                    "match_probability")}},
                         formats={"match_probability": "pct"}, max_rows=n)
    reporting.takeaway(lowest_links_sentence(links, wide, threshold))


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
        client=pd.Series(is_in(top["account_id"], links["account_id"]), index=top.index).map(YES_NO),
        influence=top["influence"] * 1000,
        platform=top["platform"].map(platform_label),
        main_topic=top["main_topic"].fillna("aucun sujet repéré"),
        detractor=top["detractor"].astype(bool).map(YES_NO))


def top_accounts_sentence(top: pd.DataFrame, links: pd.DataFrame) -> str:
    n_det = int(top["detractor"].astype(bool).sum())
    return (f"les {len(top)} comptes les plus influents comptent "
            f"{fmt_int(int(is_in(top['account_id'], links['account_id']).sum()))} "
            f"clients du fichier et {french.count(n_det, 'détracteur')}.")


def show_top_accounts(top: pd.DataFrame, links: pd.DataFrame, platform_label) -> None:
    reporting.show_table(top_accounts_table(top, links, platform_label), columns={
        "account_id": "Compte", "platform": "Réseau", "influence": "Influence (‰)",
        "amplification_per_post": "Relais / publ.", "conversations_per_post": "Conversations / publ.",
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
    ax.set_title("L'audience n'est pas l'influence : abonnés et influence des comptes actifs")
    ax.set_xlabel("Abonnés (échelle log)")
    ax.set_ylabel("Influence (échelle log)")
    handles, _ = ax.get_legend_handles_labels()
    ax.legend(handles, ["non détracteur", "détracteur"], title="")
    return ax


def detractors_sentence(accounts: pd.DataFrame) -> str:
    n = int(accounts["detractor"].sum())
    verb = "sont détracteurs" if french.is_plural(n) else "est détracteur"
    return (f"{french.count(n, 'compte social actif', 'comptes sociaux actifs')} (clients ou non) {verb} sur "
            "la fenêtre d'analyse ; seuls ceux des clients consentants comptent dans les exclusions de la section 4. "
            "Beaucoup d'abonnés ne font pas l'influence : ce sont les relais et les conversations qui la font.")


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
        "Nommés, non scorés (gardés)", "Exclus : pas de consentement", "Exclus : clients consentants détracteurs",
        "Exclus : clients consentants avec une réclamation sans réponse", "Sélectionnables",
    ], name="Vivier"))


def pool_sentence(pool: pd.DataFrame) -> str:
    pa = pool.attrs
    return (f"{fmt_int(pa['eligible'])} clients sont sélectionnables ; parmi les clients consentants, "
            f"{fmt_int(pa['excluded_detractors'])} détracteurs et {fmt_int(pa['excluded_open_complaints'])} clients "
            "avec une réclamation sans réponse ont été écartés.")


def path_table(pool: pd.DataFrame) -> pd.DataFrame:
    """Customers, consenting, eligible, nominated and median score per path."""
    return pool.groupby("path").agg(clients=("customer_id", "size"), consentants=("ambassador_consent", "sum"),
                                    eligibles=("eligible", "sum"), nommes=("nominated", "sum"),
                                    score_median=("score", "median")).rename_axis("Parcours")


def path_sentence(pool: pd.DataFrame) -> str:
    """Where the eligible customers come from, by path."""
    t = path_table(pool)
    top = t["eligibles"].idxmax()
    return (f"la plupart des clients sélectionnables viennent du parcours « {top} » "
            f"({fmt_int(t.loc[top, 'eligibles'])} sur {fmt_int(t['eligibles'].sum())}) ; "
            f"les nominations du personnel font entrer {fmt_int(t['nommes'].sum())} clients.")


def show_pool(pool: pd.DataFrame) -> None:
    """The pool's counts, its takeaway, and the table per path."""
    reporting.show_table(pool_table(pool), formats={"Nombre": "int"}, index=True)
    reporting.takeaway(pool_sentence(pool))
    reporting.show_table(path_table(pool), columns={
        "Parcours": "Parcours", "clients": "Clients", "consentants": "Consentants", "eligibles": "Sélectionnables",
        "nommes": "Nommés", "score_median": "Score médian"},
        formats={"clients": "int", "consentants": "int", "eligibles": "int", "nommes": "int", "score_median": "num2"},
        index=True)
    reporting.takeaway(path_sentence(pool))


# --------------------------------------------------------------------------- 5. representativeness


def show_representativeness(rep: pd.DataFrame) -> None:
    reporting.show_table(rep.rename(index=PANEL_DIMENSIONS_FR).rename_axis("Dimension"), columns={
        "Dimension": "Dimension", "diverse": "Panel divers", "score_only": "Sélection au seul score"},
        formats={"diverse": lambda v: fmt_num(v, 3), "score_only": lambda v: fmt_num(v, 3)}, index=True)


def plot_representativeness(rep: pd.DataFrame):
    plot_rep = rep.drop(index="moyenne").rename(index=PANEL_DIMENSIONS_FR).rename(
        columns={"diverse": "Panel divers", "score_only": "Sélection au seul score"})
    ax = plot_rep.plot.barh(color=["#3366cc", "#cc9933"])
    ax.set_title("Distance à la clientèle réelle (plus bas = plus représentatif)")
    ax.set_xlabel("Distance de variation totale")
    ax.set_ylabel("")
    ax.legend(title="", loc="upper left", bbox_to_anchor=(1.01, 1))  # beside the bars, never on them
    return ax


def representativeness_sentence(rep: pd.DataFrame) -> str:
    return (f"le panel divers est à {fmt_num(rep.loc['moyenne', 'diverse'], 3)} de la clientèle réelle "
            f"(distance moyenne), contre {fmt_num(rep.loc['moyenne', 'score_only'], 3)} pour une sélection au seul "
            "score.")


def online_mix_sentence(mix: pd.DataFrame) -> str:
    """How the diverse panel and the score-only pick compare with the base on online / offline."""
    off = [i for i in mix.index if i != amb.ONLINE]
    share = mix.loc[off].sum() if off else mix.iloc[:0].sum()
    return (f"{fmt_pct(share['Base clients'])} des clients sont hors ligne, contre {fmt_pct(share['Panel divers'])} du "
            f"panel divers et {fmt_pct(share['Seul score'])} d'une sélection au seul score : les quotas gardent la "
            "voix des clients des magasins.")


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


def shortlist_by_path(full: pd.DataFrame, shown: int) -> pd.DataFrame:
    """The first of each path, `shown` lines in all, each path's lines in proportion to its place
    in the list (at least one per path): the page shows online and offline ambassadors alike."""
    counts = full["path"].value_counts()
    exact = counts / counts.sum() * shown
    quota = exact.astype(int).clip(lower=1)  # largest remainders fill the rest
    while quota.sum() < min(shown, len(full)) and (quota < counts).any():
        room = (exact - quota)[quota < counts]
        quota[room.idxmax()] += 1
    while quota.sum() > shown and (quota > 1).any():
        quota[(exact - quota)[quota > 1].idxmin()] -= 1
    parts = [full[full["path"] == p].sort_values("rank").head(q) for p, q in quota.items()]
    return pd.concat(parts).reset_index(drop=True) if parts else full.head(0)


def tone_text(value) -> str:
    """A customer's mean tone about the brand in words, with the value: 'positif (+0,45)'."""
    if pd.isna(value):
        return "pas de publication"
    word = "positif" if value > 0.1 else "négatif" if value < -0.1 else "neutre"
    return f"{word} ({reporting.fmt_signed(value, 2)})"


def show_shortlist(full: pd.DataFrame, shown: int, tone: pd.Series | None = None,
                   link_probability: pd.Series | None = None) -> None:
    """The first ambassadors of each path (`shortlist_by_path`), with their tone about the brand
    (`tone`: customer_id -> mean sentiment) and, online, the probability of their account link."""
    view = shortlist_by_path(full, shown)
    view = view.assign(nominated=view["nominated"].map(YES_NO),
                       tone=view["customer_id"].map(tone) if tone is not None else None,
                       link=view["customer_id"].map(link_probability) if link_probability is not None else None)
    view["tone"] = view["tone"].map(tone_text)
    view["link"] = view["link"].map(lambda v: "–" if pd.isna(v) else fmt_pct(v))
    reporting.show_table(view, columns={
        "path": "Parcours", "rank": "Rang", "customer_id": "Client", "score": "Score",
        "explanation": "Pourquoi (part de chaque signal)", "topics": "Sujets", "tone": "Tonalité envers la marque",
        "store_name": "Magasin", "nominated": "Nommé par le magasin", "link": "Lien compte ↔ client"},
        formats={"rank": "int", "score": "num2"}, max_rows=shown)


def shortlist_sentence(full: pd.DataFrame, exclude_risks: bool) -> str:
    if not exclude_risks:
        return (f"{fmt_int(len(full))} ambassadeurs retenus, dont "
                f"{french.count(int(full['detractor'].sum()), 'détracteur signalé')}.")
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
    return (f"{french.count(n_in, 'entrée')} et {french.count(n_out, 'sortie')} depuis "
            f"{reporting.month_label(str(pd.Period(period, freq='M') - 1))} ; "
            f"raison la plus fréquente : « {reasons.index[0]} ».")


def _score_text(before: float, after: float) -> str:
    """The two scores with as many decimals as it takes to tell them apart (up to 4)."""
    for d in (2, 3, 4):
        a, b = fmt_num(before, d), fmt_num(after, d)
        if a != b:
            return f"{a} → {b}"
    return f"{fmt_num(after, 4)}, inchangé"


def readable_moves(moves: pd.DataFrame, previous_pool: pd.DataFrame, current_pool: pd.DataFrame) -> pd.DataFrame:
    """The moves with their score before and after, and reasons whose two scores differ on the
    page: 'score en hausse (0,118 → 0,124)'; a score that moved by less than 0,005 is a move
    of the quota ('devancé de peu dans son quota'), not a score change."""
    before = previous_pool.set_index("customer_id")["score"]
    after = current_pool.set_index("customer_id")["score"]
    out = moves.assign(score_before=moves["customer_id"].map(before), score_after=moves["customer_id"].map(after))
    scored = out["raison"].str.startswith(("score en hausse", "score en baisse"))
    small = scored & ((out["score_after"] - out["score_before"]).abs() < 0.005)
    base = out["raison"].str.replace(r" \(.*\)$", "", regex=True)
    out["raison"] = out["raison"].where(~scored, [
        f"{b} ({_score_text(x, y)})" for b, x, y in zip(base, out["score_before"], out["score_after"], strict=True)])
    out.loc[small & (out["mouvement"] == "entrée"), "raison"] = "passé devant de peu dans son quota (score presque inchangé)"
    out.loc[small & (out["mouvement"] == "sortie"), "raison"] = "devancé de peu dans son quota (score presque inchangé)"
    return out


def turnover_sentence(moves: pd.DataFrame, list_size: int) -> str:
    """How much of the list changed in a month, and what it means for the programme."""
    n_in = int((moves["mouvement"] == "entrée").sum())
    if not list_size:
        return "liste vide."
    share = n_in / list_size
    reading = ("Une liste aussi mouvante se gère comme un vivier : garder plusieurs mois les ambassadeurs qui "
               "s'engagent plutôt que de suivre le classement du mois, où de petits écarts de score font entrer et "
               "sortir" if share > 0.3 else "La liste est stable d'un mois sur l'autre")
    return f"{fmt_pct(share)} de la liste ({fmt_int(n_in)} places sur {fmt_int(list_size)}) a changé en un mois. {reading}."


def show_moves(moves: pd.DataFrame, period, previous_pool: pd.DataFrame | None = None,
               current_pool: pd.DataFrame | None = None, list_size: int | None = None) -> None:
    """Reasons table, the moves (scores with enough decimals), and the takeaways."""
    if previous_pool is not None and current_pool is not None:
        moves = readable_moves(moves, previous_pool, current_pool)
    reporting.show_table(move_reasons(moves).rename("Clients").rename_axis("Raison").to_frame(),
                         formats={"Clients": "int"}, index=True)
    reporting.show_table(moves, columns={"customer_id": "Client", "mouvement": "Mouvement", "raison": "Raison"},
                         max_rows=10)
    reporting.takeaway(moves_sentence(moves, period))
    if list_size is not None:
        reporting.takeaway(turnover_sentence(moves, list_size))


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
        reporting.show_table(r["representativeness"].rename(index=PANEL_DIMENSIONS_FR), index=True)

    sliders = {k: widgets.FloatSlider(value=v, min=0, max=5, step=0.5, description=amb.SIGNAL_LABELS[k],
                                      style={"description_width": "220px"}, layout={"width": "480px"})
               for k, v in weights.items()}
    return widgets.VBox([widgets.VBox(list(sliders.values())), widgets.interactive_output(_show, sliders)])
