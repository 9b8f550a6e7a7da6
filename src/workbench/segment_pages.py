"""The tables, charts and "À retenir : …" sentences of the segmentation page (01).

Why here: written inline, the page's French tables (renamed and formatted columns), its charts
and its computed sentences made the notebook a long formatting chain. `*_table` functions
return the table the page shows, `*_sentence` functions the plain French text passed to
`reporting.takeaway` (which escapes it), `show_*` and `plot_*` put them on the page. The
analyses stay in `workbench.segmentation`, `interests`, `clv` and `value_segments`; this module
only presents their results.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench import interests, regions, reporting
from workbench import segmentation as seg
from workbench.reporting import fmt_eur, fmt_int, fmt_num, fmt_pct, fmt_signed, month_label

TEST_VARIABLES_FR = {"age": "Âge", "frequency": "Achats", "avg_basket": "Panier moyen",
                     "share_store": "Part magasin", "research_share": "Recherche web avant magasin",
                     "open_rate": "Taux d'ouverture e-mail", "age_band": "Tranche d'âge", "csp": "CSP",
                     "region": "Région", "loyalty_tier": "Niveau de fidélité"}
RULES_FR = {"lapsed_days": ("Délai d'inactivité (jours)", fmt_int),
            "min_store_purchases": ("Achats en magasin minimum (web-to-store)", fmt_int),
            "store_share_min": ("Part minimale des achats en magasin (web-to-store)", fmt_pct),
            "research_share_min": ("Part minimale d'achats précédés d'une recherche en ligne", fmt_pct),
            "online_share_min": ("Part minimale des achats en ligne (digital d'abord)", fmt_pct)}
_PCT_PROFILE = ["share", "share_store", "share_web", "share_app", "share_click_collect", "research_share",
                "promo_share", "open_rate", "click_rate", "premium_tier_share", "top_region_share"]


def _hbar(values: pd.Series, title: str, xlabel: str = "Clients", axis=reporting.int_axis, ax=None):
    """Horizontal bars of `values` (one colour, categories on the y axis); returns the Axes."""
    import seaborn as sns

    ax = sns.barplot(x=values.values, y=values.index, color="#3366cc", ax=ax)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("")
    axis(ax, "x")
    return ax


def _heatmap(df: pd.DataFrame, title: str, xlabel: str = "", ylabel: str = "", fmt: str = ".0%", ax=None):
    """A heatmap with French cell labels: `fmt` ".0%" gives "30 %", ".0f" gives "1 234"."""
    import seaborn as sns

    as_pct = fmt.endswith("%")
    decimals = int(fmt[1:-1]) if len(fmt) > 2 and fmt[1:-1].isdigit() else 0
    labels = df.apply(lambda col: col.map(lambda v: fmt_pct(v, decimals) if as_pct else fmt_num(v, decimals)))
    ax = sns.heatmap(df, annot=labels.to_numpy(), fmt="", cmap="Blues", cbar=False, ax=ax)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax


# --------------------------------------------------------------------------- overview


def overview_table(period, features: pd.DataFrame, tx: pd.DataFrame) -> pd.DataFrame:
    """Report month, customers, buyers, identified and anonymous purchases up to the month end."""
    return pd.DataFrame({"Valeur": [
        month_label(str(period)), fmt_int(len(features)), fmt_int(int((features["frequency"] > 0).sum())),
        fmt_int(int(tx["customer_id"].notna().sum())), fmt_int(int(tx["customer_id"].isna().sum())),
    ]}, index=["Mois du rapport", "Clients", "Clients acheteurs sur la période",
               "Achats de clients identifiés (jusqu'à la fin du mois)",
               "Achats anonymes (exclus des analyses par client)"]).rename_axis("Indicateur")


# --------------------------------------------------------------------------- 1. demography and interests


def plot_demographics(features: pd.DataFrame):
    """Customers per age band and sex, and the CSP mix; returns the figure."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    demo = features.assign(sex=features["sex"].map(interests.SEX_LABELS_FR).fillna("inconnu"))
    sns.countplot(data=demo, x="age_band", hue="sex", order=list(seg.AGE_BAND_LABELS) + ["inconnu"], ax=axes[0])
    axes[0].set_title("Clients par tranche d'âge et sexe")
    axes[0].set_xlabel("Tranche d'âge")
    axes[0].set_ylabel("Clients")
    axes[0].legend(title="Sexe", loc="upper left", bbox_to_anchor=(1.01, 1))  # beside the bars, never on them
    reporting.int_axis(axes[0])
    _hbar(csp_shares(features), "Répartition par CSP", "Part des clients", reporting.pct_axis, axes[1])
    plt.tight_layout()
    return fig


def csp_shares(features: pd.DataFrame) -> pd.Series:
    return features["csp"].map(interests.CSP_LABELS_FR).fillna("inconnue").value_counts(normalize=True)


def demographics_sentence(features: pd.DataFrame) -> str:
    bands = features["age_band"].value_counts(normalize=True)
    women = (features["sex"] == "F").sum() / max(int(features["sex"].isin(["F", "M"]).sum()), 1)
    csp = csp_shares(features)
    return (f"la tranche d'âge la plus représentée est celle des {bands.index[0]} ans "
            f"({fmt_pct(bands.iloc[0])} des clients), les femmes font {fmt_pct(women)} des clients "
            f"au sexe connu et la première CSP est « {csp.index[0]} » ({fmt_pct(csp.iloc[0])}).")


def interest_shares(customer_int: pd.DataFrame, categories, category_label) -> pd.Series:
    """Share of customers interested in each category (category names), largest first."""
    return (interests.interest_shares(customer_int, categories=categories).iloc[0]
            .rename(category_label).sort_values(ascending=False))


def interest_sources_table(customer_int: pd.DataFrame) -> pd.DataFrame:
    with_int = customer_int["interest"].notna()
    return (customer_int.loc[with_int, "sources"].value_counts(normalize=True)
            .rename("Part des clients avec un intérêt").rename_axis("Sources de l'intérêt principal").to_frame())


def interests_sentence(customer_int: pd.DataFrame, int_share: pd.Series) -> str:
    return (f"{fmt_pct(customer_int['interest'].notna().mean())} des clients ont au moins un centre d'intérêt "
            f"marqué ; le plus répandu est « {int_share.index[0]} » ({fmt_pct(int_share.iloc[0])} des clients). "
            "Les intérêts par segment sont comparés dans la section 4.")


def show_interests(customer_int: pd.DataFrame, categories, category_label) -> None:
    """Chart of the interest shares, table of their sources, takeaway."""
    import matplotlib.pyplot as plt

    int_share = interest_shares(customer_int, categories, category_label)
    _hbar(int_share, "Clients intéressés par chaque catégorie de produits", "Part des clients", reporting.pct_axis)
    plt.show()
    reporting.show_table(interest_sources_table(customer_int), formats={"Part des clients avec un intérêt": "pct"},
                         index=True)
    reporting.takeaway(interests_sentence(customer_int, int_share))


# --------------------------------------------------------------------------- 2. RFM


def rfm_table(features: pd.DataFrame) -> pd.DataFrame:
    """Customers, share and mean recency / purchases / revenue / basket per RFM value segment,
    in the order of `segmentation.RFM_SEGMENTS_FR`."""
    tab = features.groupby("rfm_segment").agg(
        clients=("frequency", "size"), recence=("recency_days", "mean"), frequence=("frequency", "mean"),
        montant=("monetary", "mean"), panier=("avg_basket", "mean"))
    tab = tab.reindex([s for s, _ in seg.RFM_SEGMENTS_FR if s in tab.index])
    tab["part"] = tab["clients"] / tab["clients"].sum()
    return tab.rename_axis("Segment de valeur")


def rfm_sentence(rfm_tab: pd.DataFrame) -> str:
    at_risk = rfm_tab.reindex(["À risque", "Perdus"])["clients"].fillna(0).sum()
    return (f"{fmt_int(rfm_tab.loc['Champions', 'clients'] if 'Champions' in rfm_tab.index else 0)} "
            f"clients sont des Champions ; {fmt_int(at_risk)} ({fmt_pct(at_risk / rfm_tab['clients'].sum())}) "
            "sont « À risque » ou « Perdus » : la section 7 vérifie avec la probabilité d'être encore actif, "
            "la section 8 montre qui y est entré ce mois-ci.")


def show_rfm(features: pd.DataFrame) -> None:
    """Rules, table, chart and takeaway of the RFM value segments."""
    import matplotlib.pyplot as plt

    reporting.show_table(pd.DataFrame(seg.RFM_SEGMENTS_FR, columns=["Segment de valeur", "Règle"]))
    tab = rfm_table(features)
    reporting.show_table(tab, columns={
        "Segment de valeur": "Segment de valeur", "clients": "Clients", "part": "Part",
        "recence": "Récence moyenne (jours)", "frequence": "Achats moyens", "montant": "CA moyen",
        "panier": "Panier moyen"},
        formats={"clients": "int", "part": "pct", "recence": "num0", "frequence": "num1", "montant": "eur",
                 "panier": "eur"}, index=True)
    _hbar(tab["clients"], "Clients par segment de valeur RFM")
    plt.show()
    reporting.takeaway(rfm_sentence(tab))


# --------------------------------------------------------------------------- 3. channel typology


def rules_table(rules) -> pd.DataFrame:
    """The typology thresholds with French names and formats (unknown ones as they are)."""
    return pd.DataFrame({"Seuil": {lab: f(v) for k, v in vars(rules).items()
                                   for lab, f in [RULES_FR.get(k, (k, fmt_num))]}}).rename_axis("Règle")


def typology_sentence(typology: pd.DataFrame) -> str:
    counts = typology["channel_type_fr"].value_counts()
    return (f"le type le plus fréquent est « {counts.index[0]} » ({fmt_pct(counts.iloc[0] / counts.sum())} "
            f"des clients) ; {fmt_int(int((typology['channel_type'] == 'web_to_store').sum()))} clients "
            "se renseignent en ligne avant d'acheter en magasin (web-to-store).")


def show_typology(rules, typology: pd.DataFrame) -> None:
    import matplotlib.pyplot as plt

    reporting.show_table(rules_table(rules), index=True)
    counts = typology["channel_type_fr"].value_counts()
    reporting.show_table(pd.DataFrame({"Clients": counts, "Part": counts / counts.sum()}).rename_axis("Type de canal"),
                         formats={"Clients": "int", "Part": "pct"}, index=True)
    _hbar(counts, "Clients par type de canal")
    plt.show()
    reporting.takeaway(typology_sentence(typology))


# --------------------------------------------------------------------------- 4. clustering


def k_sentence(model) -> str:
    """The chosen k, its silhouette against the runner-up's (three decimals: they are often
    close), and why the BIC, when it points elsewhere, is not followed."""
    sel = model.selection.set_index("k")
    out = (f"{model.k} segments retenus : c'est le nombre qui sépare le mieux les clients "
           f"(silhouette {fmt_num(sel.loc[model.k, 'silhouette'], 3)}")
    others = sel["silhouette"].drop(model.k)
    if len(others):
        out += f", contre {fmt_num(others.max(), 3)} pour {int(others.idxmax())} segments"
    out += ")."
    if "bic" in sel.columns and int(sel["bic"].idxmin()) != model.k:
        out += (f" Le BIC du mélange gaussien baisse jusqu'à {int(sel['bic'].idxmin())} segments : sur un grand "
                "fichier, il récompense vite des segments plus fins ; il sert ici de contrôle, la silhouette "
                "(segments nets et bien séparés) décide.")
    if {"fit_customers", "customers"} <= set(sel.columns) and sel["fit_customers"].max() < sel["customers"].max():
        out += (f" Le nombre de segments a été choisi sur un échantillon aléatoire de "
                f"{fmt_int(sel['fit_customers'].max())} acheteurs (sur {fmt_int(sel['customers'].max())}) ; "
                "les segments retenus sont ensuite calculés sur tous les acheteurs.")
    return out


def show_k_selection(model) -> None:
    """Silhouette and BIC per k, the chosen k marked; their table and the takeaway."""
    import matplotlib.pyplot as plt

    sel = model.selection
    fig, ax1 = plt.subplots(figsize=(8, 3.5))
    ax1.plot(sel["k"], sel["silhouette"], marker="o", color="#3366cc", label="Silhouette")
    ax1.axvline(model.k, color="grey", ls="--")
    ax1.set_xlabel("Nombre de segments k")
    ax1.set_ylabel("Silhouette (plus haut = mieux)")
    ax2 = ax1.twinx()
    ax2.plot(sel["k"], sel["bic"], marker="s", color="#dc3912", label="BIC (mélange gaussien)")
    ax2.set_ylabel("BIC (plus bas = mieux)")
    ax2.grid(False)
    ax1.set_title(f"Choix du nombre de segments : k = {model.k}")
    reporting.int_axis(ax2)
    plt.tight_layout()  # room for both axis titles
    fig.legend(loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=2)  # under the x-axis title, never on it
    plt.show()
    reporting.show_table(sel, columns={"k": "Segments (k)", "silhouette": "Silhouette", "bic": "BIC",
                                       "inertia": "Inertie"},
                         formats={"k": "int", "silhouette": lambda x: fmt_num(x, 3), "bic": "num0",
                                  "inertia": "num0"})
    reporting.takeaway(k_sentence(model))


def profiles_shown(profiles: pd.DataFrame) -> pd.DataFrame:
    """`segmentation.segment_profiles` formatted cell by cell (%, €, counts, one decimal)."""
    shown = profiles.copy()
    for c in _PCT_PROFILE:
        shown[c] = shown[c].map(fmt_pct)
    for c in ["monetary", "avg_basket"]:
        shown[c] = shown[c].map(fmt_eur)
    shown["customers"] = shown["customers"].map(fmt_int)
    for c in ["age", "frequency", "recency_days", "social_touchpoints"]:
        shown[c] = shown[c].map(lambda v: fmt_num(v, 1))
    return shown


def profiles_sentence(profiles: pd.DataFrame) -> str:
    return (f"le segment le plus nombreux est « {profiles.index[0]} » ({fmt_pct(profiles['share'].iloc[0])} "
            f"des clients) ; le panier moyen le plus élevé est celui de « {profiles['avg_basket'].idxmax()} » "
            f"({fmt_eur(profiles['avg_basket'].max())}).")


def show_profiles(profiles: pd.DataFrame, seg_of: pd.Series, typology: pd.DataFrame) -> None:
    """The profile table (one column per segment), the channel mix per segment, the takeaway."""
    import matplotlib.pyplot as plt

    reporting.show_table(profiles_shown(profiles).rename(columns=seg.PROFILE_LABELS_FR).rename_axis("Segment").T
                         .rename_axis("Indicateur"), index=True, max_rows=30)
    types = typology.set_index("customer_id")["channel_type_fr"]
    cross = pd.crosstab(seg_of, types, normalize="index")
    _heatmap(cross, "Types de canal au sein de chaque segment", "Type de canal")
    plt.show()
    reporting.takeaway(profiles_sentence(profiles) + same_name_sentence(seg_of, types))


def same_name_sentence(seg_of: pd.Series, types: pd.Series) -> str:
    """When a segment bears the name of a channel type (two rules, one word), the two counts and
    their overlap, so that '4 077 Web-to-store' beside '3 777 clients web-to-store' is read as
    two measures, not two values of one figure; '' when no name is shared."""
    parts = []
    for name in sorted(set(seg_of.dropna()) & set(types.dropna())):
        in_seg = set(seg_of.index[seg_of == name])
        in_type = set(types.index[types == name])
        both = len(in_seg & in_type)
        parts.append(f" Le segment « {name} » ({fmt_int(len(in_seg))} clients, classement automatique) et le type de "
                     f"canal « {name} » ({fmt_int(len(in_type))} clients, règles de la section 3) sont deux mesures : "
                     f"{fmt_pct(both / len(in_seg) if in_seg else float('nan'))} des clients du segment sont aussi de ce "
                     "type.")
    return "".join(parts)


def interest_lift_sentence(seg_int: pd.DataFrame, overall: pd.Series) -> str:
    s_best, c_best = (seg_int / overall).stack().idxmax()
    return (f"le segment « {s_best} » se distingue par son intérêt pour « {c_best} » : "
            f"{fmt_pct(seg_int.loc[s_best, c_best])} de ses clients, contre {fmt_pct(overall[c_best])} "
            "pour l'ensemble des clients.")


def show_portrait(features: pd.DataFrame, seg_of: pd.Series, customer_int, categories, category_label) -> None:
    """Portrait of each segment, its interests (heatmap) and the most distinctive one."""
    import matplotlib.pyplot as plt

    portrait = interests.segment_portrait(features.assign(csp=features["csp"].map(interests.CSP_LABELS_FR)),
                                          seg_of, customer_int)
    portrait["top_interest"] = portrait["top_interest"].map(category_label, na_action="ignore")
    reporting.show_table(portrait.rename_axis("Segment"), columns={
        "Segment": "Segment", "customers": "Clients", "age_mean": "Âge moyen",
        "top_age_band": "Tranche d'âge principale", "women_share": "Part de femmes", "top_csp": "CSP principale",
        "top_region": "Région principale", "with_interest": "Avec un intérêt marqué",
        "top_interest": "Intérêt le plus fréquent"},
        formats={"customers": "int", "age_mean": "num0", "women_share": "pct", "with_interest": "pct"}, index=True)
    seg_int = interests.interest_shares(customer_int, seg_of, categories).rename(columns=category_label)
    overall = interests.interest_shares(customer_int, categories=categories).iloc[0].set_axis(seg_int.columns)
    _heatmap(seg_int, "Centres d'intérêt par segment (part des clients)")
    plt.show()
    reporting.takeaway(interest_lift_sentence(seg_int, overall))


def social_sentence(social_customers: pd.DataFrame, by_seg_social: pd.DataFrame, n_customers: int) -> str:
    negative = int((social_customers.get("balance", pd.Series(dtype=float)) < 0).sum())
    return (f"{fmt_int(len(social_customers))} clients ont un compte social identifié "
            f"({fmt_pct(len(social_customers) / n_customers)} des clients) ; le segment le plus présent "
            f"sur les réseaux est « {by_seg_social['linked_share'].idxmax()} » "
            f"({fmt_pct(by_seg_social['linked_share'].max())}) et {fmt_int(negative)} clients "
            "identifiés ont un solde de publications négatif sur la marque.")


def show_social(social_customers: pd.DataFrame, by_seg_social: pd.DataFrame, n_customers: int,
                platform_label) -> None:
    """Social presence per segment: table, chart, takeaway."""
    import matplotlib.pyplot as plt

    by_seg_social = by_seg_social.assign(
        top_platform=by_seg_social["top_platform"].map(platform_label, na_action="ignore"))
    reporting.show_table(by_seg_social.rename_axis("Segment"), columns={
        "Segment": "Segment", "customers": "Clients", "linked_share": "Avec un compte social identifié",
        "top_platform": "Réseau principal", "followers_median": "Abonnés (médiane)",
        "brand_mentions_mean": "Publications sur la marque (3 mois, moyenne)",
        "sentiment_mean": "Tonalité moyenne (−1 à +1)", "detractor_share": "Part de détracteurs"},
        formats={"customers": "int", "linked_share": "pct", "followers_median": "num0",
                 "brand_mentions_mean": "num1", "sentiment_mean": "num2", "detractor_share": "pct"}, index=True)
    ax = by_seg_social[["linked_share", "detractor_share"]].rename(columns={
        "linked_share": "Compte social identifié", "detractor_share": "Détracteurs (parmi les comptes identifiés)"}
    ).plot.barh(figsize=(9, 4))
    ax.set_title("Présence sociale et détracteurs par segment")
    ax.set_xlabel("Part des clients")
    ax.set_ylabel("")
    reporting.pct_axis(ax, "x")
    plt.show()
    reporting.takeaway(social_sentence(social_customers, by_seg_social, n_customers))


def email_sentence(email: pd.DataFrame) -> str:
    """The segments that open the brand's e-mails the most and the least (among recipients)."""
    rates = email["open_rate"].dropna()
    if rates.empty:
        return "aucun e-mail envoyé aux clients sur la période."
    hi, lo = rates.idxmax(), rates.idxmin()
    return (f"« {hi} » ouvre le plus les e-mails ({fmt_pct(rates[hi])} des e-mails reçus, "
            f"{fmt_pct(email.loc[hi, 'click_rate'])} de clics) ; « {lo} » le moins ({fmt_pct(rates[lo])}) : "
            f"un autre canal le touchera mieux.")


def show_email(email: pd.DataFrame) -> None:
    reporting.show_table(email.rename_axis("Segment"), columns={
        "Segment": "Segment", "emailed": "Destinataires d'e-mails",
        "open_rate": "Taux d'ouverture (parmi les destinataires)",
        "click_rate": "Taux de clic (parmi les destinataires)"}, formats={"emailed": "pct", "open_rate": "pct", "click_rate": "pct"}, index=True)
    reporting.takeaway(email_sentence(email))


def tests_table(tests: pd.DataFrame) -> pd.DataFrame:
    """`segmentation.segment_tests` for the page: French variable names, p-values "< 0,001"."""
    return pd.DataFrame({
        "Test": tests["test"].to_numpy(),
        "Statistique": tests["statistic"].to_numpy(),
        "ddl": tests["df"].astype(int).to_numpy(),
        "p-valeur": tests["p_value"].map(lambda p: "< 0,001" if p < 0.001 else fmt_num(p, 3)).to_numpy(),
        "Taille d'effet": tests["effect_size"].to_numpy(),
        "Mesure": tests["effect"].replace({"eta²": "η²"}).to_numpy(),
        "Exclus (manquants)": tests["excluded"].to_numpy(),
    }, index=pd.Index(tests["variable"].map(lambda v: TEST_VARIABLES_FR.get(v, v)), name="Variable"))


def tests_sentence(tests: pd.DataFrame) -> str:
    """The variables on which segments differ clearly: p < 0.001 and an effect above
    η² = 0.06 (ANOVA) or 0.3 (other measures)."""
    shown = tests_table(tests)
    big = tests["effect_size"].to_numpy() > tests["effect"].map({"eta²": 0.06}).fillna(0.3).to_numpy()
    strong = shown[(tests["p_value"].to_numpy() < 0.001) & big]
    from workbench.french import count

    return (f"les segments diffèrent nettement (p < 0,001, effet non négligeable) sur "
            f"{count(len(strong), 'variable')} sur {len(shown)} : {', '.join(strong.index) or 'aucune'}.")


def show_tests(tests: pd.DataFrame) -> None:
    from IPython.display import Markdown, display

    reporting.show_table(tests_table(tests), formats={"Statistique": "num1", "ddl": "int", "Taille d'effet": "num2",
                                                      "Exclus (manquants)": "int"}, index=True)
    reporting.takeaway(tests_sentence(tests))
    if tests.attrs["untestable"]:
        display(Markdown("*Non testées (une seule valeur ou colonne vide dans le fichier client) : "
                         + reporting.esc_list(TEST_VARIABLES_FR.get(v, v) for v in tests.attrs["untestable"]) + ".*"))


# --------------------------------------------------------------------------- 5. geography

_GEO_MEASURES = [("customers", "Clients"), ("sales", "Ventes"), ("social_accounts", "Audience sociale")]


def concentration_table(geo: pd.DataFrame) -> pd.DataFrame:
    """Share of the top 3 regions and Herfindahl index of customers, sales and social audience."""
    conc = {c: regions.concentration(geo[c]) for c, _ in _GEO_MEASURES}
    return pd.DataFrame({
        "Part des 3 premières régions": {lab: conc[c]["top_share"] for c, lab in _GEO_MEASURES},
        "Herfindahl": {lab: conc[c]["herfindahl"] for c, lab in _GEO_MEASURES},
    }).rename_axis("Mesure")


def geography_sentence(geo: pd.DataFrame) -> str:
    return (f"les 3 premières régions font {fmt_pct(regions.concentration(geo['sales'])['top_share'])} des ventes ; "
            f"« {geo.index[0]} » pèse {fmt_pct(geo['sales_share'].iloc[0])} des ventes pour "
            f"{fmt_pct(geo['customers_share'].iloc[0])} des clients.")


def show_geography(geo: pd.DataFrame, geo_dep: pd.DataFrame, period, department_label) -> None:
    """Concentration, located accounts, the regional chart, the top 10 departments, takeaway."""
    import matplotlib.pyplot as plt
    import seaborn as sns
    from IPython.display import Markdown, display

    reporting.show_table(concentration_table(geo), formats={"Part des 3 premières régions": "pct",
                                                            "Herfindahl": lambda v: fmt_num(v, 3)}, index=True)
    display(Markdown(f"Comptes sociaux localisés : {fmt_int(geo.attrs['located_accounts'])}, "
                     f"non localisés : {fmt_int(geo.attrs['unlocated_accounts'])}."))
    long = (geo[["customers_share", "sales_share", "social_accounts_share"]]
            .rename(columns={f"{c}_share": lab for c, lab in _GEO_MEASURES})
            .reset_index().melt(id_vars="region", var_name="Mesure", value_name="Part"))
    fig, ax = plt.subplots(figsize=(10, 5))
    sns.barplot(data=long, y="region", x="Part", hue="Mesure", ax=ax)
    ax.set_title(f"Répartition régionale — 12 mois jusqu'à {month_label(str(period))}")
    ax.set_xlabel("Part du total")
    ax.set_ylabel("")
    reporting.pct_axis(ax, "x")
    plt.show()
    reporting.show_table(geo_dep.head(10)[["customers", "sales", "customers_share", "sales_share"]]
                         .rename(index=department_label).rename_axis("Département (10 premiers)"),
                         columns={"Département (10 premiers)": "Département (10 premiers)", "customers": "Clients",
                                  "sales": "Ventes", "customers_share": "Part des clients",
                                  "sales_share": "Part des ventes"},
                         formats={"customers": "int", "sales": "eur", "customers_share": "pct", "sales_share": "pct"},
                         index=True)
    reporting.takeaway(geography_sentence(geo))


# --------------------------------------------------------------------------- 6. audience


def growth_table(fastest: pd.DataFrame, period, platform_label) -> pd.DataFrame:
    """Followers and growth (month, period) per platform, fastest first (platform names)."""
    return pd.DataFrame({
        "Abonnés": fastest["followers"].to_numpy(),
        f"Croissance en {month_label(str(period))}": fastest["growth_month"].to_numpy(),
        "Croissance sur la période": fastest["growth_period"].to_numpy(),
    }, index=pd.Index(fastest["platform"].map(platform_label), name="Plateforme"))


def _signed_pct(x) -> str:
    """A growth rate as the pages write changes: '+10,1 %', '−0,7 %'."""
    return fmt_signed(100 * x, 1, "%")


def growth_sentence(fastest: pd.DataFrame, period, platform_label) -> str:
    return (f"la plateforme à la plus forte croissance en {month_label(str(period))} est "
            f"{platform_label(fastest['platform'].iloc[0])} "
            f"({_signed_pct(fastest['growth_month'].iloc[0])} d'abonnés en un mois).")


def show_audience(growth: pd.DataFrame, fastest: pd.DataFrame, period, brand: str, platform_label) -> None:
    """Followers per platform over time, growth table, takeaway."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 4))
    for platform, g in growth.groupby("platform"):
        ax.plot(g["month"].dt.to_timestamp(), g["followers"], marker="o", label=platform_label(platform))
    ax.set_title(f"Abonnés de {brand} par plateforme (fin de mois)")
    ax.set_xlabel("Mois")
    ax.set_ylabel("Abonnés")
    ax.legend(title="Plateforme", loc="upper left", bbox_to_anchor=(1.01, 1))
    reporting.int_axis(ax)
    reporting.month_axis(ax)
    plt.show()
    month_col = f"Croissance en {month_label(str(period))}"
    reporting.show_table(growth_table(fastest, period, platform_label),
                         formats={"Abonnés": "int", month_col: _signed_pct, "Croissance sur la période": _signed_pct},
                         index=True)
    reporting.takeaway(growth_sentence(fastest, period, platform_label))


# --------------------------------------------------------------------------- 7. customer value


def clv_parameters_table(bgnbd, gg, repeat: pd.DataFrame) -> pd.DataFrame:
    """The fitted purchase model's (BG/NBD or MBG/NBD, named from the fit) and Gamma-Gamma
    parameters, formatted, with the frequency / spend correlation."""
    from workbench.clv_models import MODEL_LABELS

    m = MODEL_LABELS.get(getattr(bgnbd, "model", "bgnbd"), "BG/NBD")
    return pd.DataFrame({"Valeur": [
        fmt_num(bgnbd.r, 3), fmt_num(bgnbd.alpha, 3), fmt_num(bgnbd.a, 3), fmt_num(bgnbd.b, 3),
        fmt_num(bgnbd.log_likelihood, 1), fmt_num(gg.p, 2), fmt_num(gg.q, 2), fmt_num(gg.gamma, 2),
        fmt_eur(gg.mean_spend, 2),
        fmt_num(float(np.corrcoef(repeat["frequency"], repeat["monetary_value"])[0, 1]), 2)]},
        index=pd.Index([f"{m} r", f"{m} alpha", f"{m} a", f"{m} b", f"{m} log-vraisemblance",
                        "Gamma-Gamma p", "Gamma-Gamma q", "Gamma-Gamma gamma", "Panier moyen attendu (population)",
                        "Corrélation fréquence / montant"], name="Paramètre"))


def show_customer_value(values: pd.DataFrame, bgnbd, gg, rfm: pd.DataFrame, repeat: pd.DataFrame,
                        horizon_months: int) -> None:
    """Model parameters, P(alive) and value histograms, the 10 largest values."""
    import matplotlib.pyplot as plt
    import seaborn as sns
    from IPython.display import Markdown, display

    reporting.show_table(clv_parameters_table(bgnbd, gg, repeat), index=True)
    display(Markdown(f"Clients modélisés : {fmt_int(len(rfm))} ; ayant racheté (Gamma-Gamma) : {fmt_int(len(repeat))}."))
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    sns.histplot(values["p_alive"], bins=20, ax=axes[0], color="#3366cc")
    axes[0].set_title("Probabilité d'être encore actif")
    axes[0].set_xlabel("P(actif)")
    axes[0].set_ylabel("Clients")
    reporting.pct_axis(axes[0], "x")
    sns.histplot(values["clv"].clip(upper=values["clv"].quantile(0.99)), bins=30, ax=axes[1], color="#3366cc")
    axes[1].set_title(f"Valeur client sur {horizon_months} mois (99 % des clients)")
    axes[1].set_xlabel("Valeur attendue")
    axes[1].set_ylabel("Clients")
    reporting.eur_axis(axes[1], "x")
    plt.tight_layout()
    plt.show()
    top = values.sort_values("clv", ascending=False).head(10)
    name = "Client (10 plus grandes valeurs)"
    reporting.show_table(top.rename_axis(name), columns={
        name: name, "p_alive": "P(actif)", "expected_purchases": "Achats attendus", "expected_spend": "Panier attendu",
        "clv": "Valeur 12 mois"}, formats={"p_alive": "pct", "expected_purchases": "num1", "expected_spend": "eur",
                                           "clv": "eur"}, index=True)
    reporting.takeaway(value_sentence(values, horizon_months))


def value_sentence(values: pd.DataFrame, horizon_months: int) -> str:
    """How concentrated the expected value is: the share carried by the top 10 % of customers,
    and how many customers are probably lost (P(actif) under 50 %)."""
    clv = values["clv"].dropna().sort_values(ascending=False)
    if clv.empty or clv.sum() <= 0:
        return "aucune valeur client attendue sur la période."
    top = clv.head(max(1, int(round(len(clv) / 10))))
    lost = values["p_alive"].dropna() < 0.5
    return (f"les 10\u00a0% de clients les plus précieux ({fmt_int(len(top))}) portent {fmt_pct(top.sum() / clv.sum())} "
            f"de la valeur attendue sur {horizon_months} mois ; {fmt_int(int(lost.sum()))} clients "
            f"({fmt_pct(lost.mean())}) ont moins d'une chance sur deux d'être encore actifs.")


def dropout_sentence(p_by_rfm: pd.DataFrame, model_label: str = "BG/NBD") -> str:
    """Whether RFM and P(actif) tell the same story about the RFM segment with the lowest mean
    P(actif) (the customers without any purchase on the period left aside): they agree when
    most of it is probably inactive (P(actif) < 50 %). Otherwise the sentence says plainly which
    share of that segment is probably still active, why the two readings differ, and what to
    act on (P(actif) < 50 %), never "concordent" beside a median P(actif) of 84 %."""
    p = p_by_rfm["p_alive_mean"].drop(seg.NO_PURCHASE, errors="ignore").dropna()
    if p.empty:
        return "pas de segment RFM à comparer à la probabilité d'être actif."
    low = p.idxmin()
    below = float(p_by_rfm.loc[low, "below_half"])
    count = (lambda share: f" ({fmt_int(round(share * p_by_rfm.loc[low, 'customers']))} clients)") \
        if "customers" in p_by_rfm.columns else (lambda share: "")
    if below >= 0.5:
        return (f"les deux modèles concordent : {fmt_pct(below)} des clients « {low} »{count(below)} ont moins "
                f"d'une chance sur deux d'être encore actifs (P(actif) moyenne {fmt_pct(p.loc[low])}, contre "
                f"{fmt_pct(p.max())} pour « {p.idxmax()} ») : c'est la cible d'une relance.")
    return (f"les deux modèles ne concordent pas : {fmt_pct(1 - below)} des clients « {low} » du RFM"
            f"{count(1 - below)} ont encore plus d'une chance sur deux d'être actifs selon le modèle {model_label} "
            f"(P(actif) moyenne {fmt_pct(p.loc[low])}). Le RFM les classe sur l'ancienneté de leur dernier achat "
            "comparée aux autres clients, le modèle sur leur propre rythme d'achat : un client qui achète "
            "rarement n'est pas perdu pour autant. Pour une relance, visez les clients dont P(actif) est sous "
            f"50 %{count(below)} plutôt que tout le segment « {low} ».")


def show_dropout(p_by_rfm: pd.DataFrame, model_label: str = "BG/NBD") -> None:
    reporting.show_table(p_by_rfm.rename_axis("Segment de valeur"), columns={
        "Segment de valeur": "Segment de valeur", "customers": "Clients", "p_alive_mean": "P(actif) moyenne",
        "p_alive_median": "P(actif) médiane", "below_half": "Part avec P(actif) < 50 %"},
        formats={"customers": "int", "p_alive_mean": "pct", "p_alive_median": "pct", "below_half": "pct"}, index=True)
    reporting.takeaway(dropout_sentence(p_by_rfm, model_label))


def holdout_table(comparison, labels: dict) -> pd.DataFrame:
    """Out-of-sample check per number of repeat purchases in calibration: customers, purchase
    days predicted per customer by each model (`labels`: model -> French name), actual; the last
    group reads "7 et plus", the total row sums purchase days."""
    t = comparison.table
    body = t.drop(index="total")
    top = comparison.max_frequency
    idx = [f"{int(g)} et plus" if int(g) >= top else str(int(g)) for g in body.index]
    out = pd.DataFrame({"Clients": body["customers"].to_numpy()},
                       index=pd.Index(idx, name="Rachats pendant l'estimation"))
    for m, label in labels.items():
        out[f"Prévu par client, {label}"] = body[f"predicted_{m}"].to_numpy()
    out["Réel par client"] = body["actual"].to_numpy()
    total = {"Clients": t.loc["total", "customers"], **{f"Prévu par client, {label}": t.loc["total", f"predicted_{m}"]
                                                      / t.loc["total", "customers"] for m, label in labels.items()},
             "Réel par client": t.loc["total", "actual"] / t.loc["total", "customers"]}
    out.loc["Ensemble"] = pd.Series(total)
    return out


def holdout_sentence(source: dict, track: pd.DataFrame | None = None) -> str:
    """The out-of-sample result in plain words: which model serves the page and why (the smaller
    error out of sample), predicted vs actual purchase days, the main source of the gap as
    measured, month by month (`clv_models.tracking` over the test months) and by group
    (`clv_models.holdout_gap_source`), and what it means for the 12-month value."""
    out = (f"modèle retenu : {source['label']}")
    if source.get("other_label"):
        out += (f", dont l'erreur hors échantillon est la plus faible ({fmt_pct(source['group_error'])} contre "
                f"{fmt_pct(source['other_group_error'])} pour {source['other_label']})")
    out += (f". Sur les 3 mois de test, il prévoyait {fmt_num(source['predicted'], 0)} jours d'achat pour "
            f"{fmt_num(source['actual'], 0)} observés (écart de {reporting.fmt_signed(100 * source['gap'], 1, '%')}).")
    if track is not None and len(track):
        test = track[~track["calibration"]]
        cal = track[track["calibration"]].tail(12)
        if len(test):
            months = " ; ".join(f"{month_label(str(p)).split()[0]} {fmt_pct(r, 0)} du prévu"
                                for p, r in test["ratio"].items())
            worst = (test["ratio"] - 1).abs().idxmax()
            when = month_label(str(worst))
            out += (f" Mois par mois : {months} : l'écart vient surtout {'d' + chr(39) if when[0] in 'aeiouy' else 'de '}"
                    f"{when}, "
                    "le modèle prévoyant un rythme d'achat constant")
            if len(cal):
                out += (f" (sur la période d'estimation déjà, les mois vont de {fmt_pct(cal['ratio'].min(), 0)} "
                        f"à {fmt_pct(cal['ratio'].max(), 0)} du prévu : soldes et fêtes au-dessus, mois calmes "
                        "en dessous)") if cal["ratio"].max() > 1.15 and cal["ratio"].min() < 0.85 else ""
            out += "."
    n = source["group"]
    group = ("sans rachat" if n == 0 else f"à {n} rachat{'s' if n >= 2 else ''}"
             + (" et plus" if source["group_is_max"] else ""))
    out += (f" Par groupe, le plus gros écart en jours d'achat est chez les clients {group} "
            f"({fmt_pct(source['group_share'], 0)} de l'écart : {fmt_num(source['group_predicted'], 2)} prévus par "
            f"client pour {fmt_num(source['group_actual'], 2)}).")
    return out


def zero_repeat_sentence(comparison, model: str) -> str:
    """What the model does with customers who never bought again: predicted vs actual purchase
    days per customer in the test months (a ratio of several times means they are taken as
    alive more often than they are), and what it means for the 12-month value."""
    body = comparison.table.drop(index="total")
    if 0 not in body.index or not body.loc[0, "actual"]:
        return ""
    pred, act = body.loc[0, f"predicted_{model}"], body.loc[0, "actual"]

    def days(x):  # French: singular below 2 ("1,33 jour")
        return f"{fmt_num(x, 2)} jour{'s' if abs(x) >= 2 else ''}"

    return (f"les clients sans rachat pendant l'estimation ({fmt_int(body.loc[0, 'customers'])}) sont prévus à "
            f"{days(pred)} d'achat en moyenne pour {days(act)} observé{'s' if abs(act) >= 2 else ''}, "
            f"{fmt_num(pred / act, 1)} fois trop : le modèle les croit encore actifs plus souvent qu'ils ne le sont, "
            "leur valeur sur 12 mois est donc sur-estimée elle aussi. Pour l'ensemble des clients, la valeur sur 12 mois couvre une année entière, où "
            "mois calmes et mois de soldes se compensent en partie (non mesuré ici : il faudrait une année de test).")


def show_holdout(comparison, track: pd.DataFrame | None = None) -> None:
    """The out-of-sample table (both models, actual) and its readings."""
    from workbench import clv_models

    labels = {m: clv_models.MODEL_LABELS.get(m, m) for m in comparison.fits}
    reporting.show_table(holdout_table(comparison, labels), formats={c: "num2" for c in
                         holdout_table(comparison, labels).columns if c != "Clients"}, index=True)
    reporting.takeaway(holdout_sentence(clv_models.holdout_gap_source(comparison), track))
    zero = zero_repeat_sentence(comparison, comparison.chosen)
    if zero:
        reporting.takeaway(zero)


def value_by_segment_sentence(by_seg: pd.DataFrame, horizon_months: int) -> str:
    return (f"« {by_seg.index[0]} » porte {fmt_pct(by_seg['share'].iloc[0])} de la valeur attendue sur "
            f"{horizon_months} mois ({fmt_eur(by_seg['total'].iloc[0])}).")


def show_value_by_segment(by_seg: pd.DataFrame, horizon_months: int) -> None:
    import matplotlib.pyplot as plt

    reporting.show_table(by_seg.rename_axis("Segment"), columns={
        "Segment": "Segment", "customers": "Clients", "total": "Valeur totale", "mean": "Valeur moyenne",
        "share": "Part de la valeur"}, formats={"customers": "int", "total": "eur", "mean": "eur", "share": "pct"},
        index=True)
    _hbar(by_seg["total"], f"Valeur client attendue sur {horizon_months} mois par segment", "Valeur totale",
          reporting.eur_axis)
    plt.show()


def top_customers_by_category(by_cat: pd.DataFrame, category_label) -> pd.DataFrame:
    """The 3 customers of largest expected value in each category (one column per category)."""
    return (pd.DataFrame({category_label(c): by_cat[c].nlargest(3).index.tolist() for c in by_cat.columns})
            .set_axis(["1er client", "2e client", "3e client"]).rename_axis("Rang"))


def show_value_by_category(values: pd.DataFrame, features: pd.DataFrame, seg_of: pd.Series, categories,
                           category_label) -> None:
    """Customers without category detail, value per segment and category, top customers per category."""
    import matplotlib.pyplot as plt
    from IPython.display import Markdown, display

    from workbench import clv

    mix = features.loc[values.index, [f"cat_{c}" for c in categories]]
    has_mix = mix.sum(axis=1) > 0
    by_cat = clv.value_by_category(values[has_mix], mix[has_mix].rename(columns=lambda c: c[4:]))
    display(Markdown(f"Clients sans achat détaillé par catégorie sur la période (exclus de cette vue) : "
                     f"{fmt_int(int((~has_mix).sum()))}."))
    cat_seg = by_cat.join(seg_of).groupby("segment_name").sum().rename(columns=category_label)
    _heatmap(cat_seg / 1000, "Valeur attendue par segment et catégorie (milliers d'euros)", "Catégorie", fmt=".0f")
    plt.show()
    reporting.show_table(top_customers_by_category(by_cat, category_label), index=True)


# --------------------------------------------------------------------------- 8. migration


def value_flows_sentence(value_flows: pd.DataFrame) -> str:
    """Share of customers who changed value segment, the two largest downward flows and the
    largest upward one."""
    down = value_flows[value_flows["direction"] == "baisse"].head(2)
    up = value_flows[value_flows["direction"] == "hausse"].head(1)
    flow_text = [f"{r['from']} → {r['to']} : {fmt_int(r['customers'])} clients ({fmt_pct(r['share_of_from'])} des "
                 f"{r['from']})" for _, r in pd.concat([down, up]).iterrows()]
    return (f"{fmt_pct(1 - value_flows.attrs['stayed'])} des clients ont changé de segment de valeur. "
            f"Les pertes qui comptent : {' ; '.join(flow_text[:len(down)]) or 'aucune'}"
            + (f". En sens inverse : {flow_text[-1]}." if len(up) else "."))


def plot_migration(table: pd.DataFrame, period, title: str):
    """Row shares of a migration table (previous month → report month, totals dropped)."""
    period = pd.Period(period, freq="M")
    body = table.drop(index="Total", columns="Total")
    return _heatmap(body.div(body.sum(axis=1), axis=0), title, f"Segment en {month_label(str(period))}",
                    f"Segment en {month_label(str(period - 1))}")


def show_value_migration(value_tab: pd.DataFrame, value_flows: pd.DataFrame, period) -> None:
    import matplotlib.pyplot as plt

    period = pd.Period(period, freq="M")
    before, now = month_label(str(period - 1)), month_label(str(period))
    reporting.show_table(value_tab.rename_axis(f"{before} ↓ / {now} →"), index=True,
                         formats={c: "int" for c in value_tab.columns})
    plot_migration(value_tab, period, f"Segments de valeur : {before} → {now}")
    plt.show()
    reporting.takeaway(value_flows_sentence(value_flows))


def behaviour_flows_sentence(beh_flows: pd.DataFrame, days: int) -> str:
    return (f"sur {days} jours, {fmt_pct(1 - beh_flows.attrs['stayed'])} des clients ont changé de segment de "
            "comportement ; principaux passages : "
            + " ; ".join(f"{r['from']} → {r['to']} ({fmt_int(r['customers'])} clients)"
                         for _, r in beh_flows.head(2).iterrows()) + ".")


def show_behaviour_migration(migration: pd.DataFrame, beh_flows: pd.DataFrame, period, days: int) -> None:
    import matplotlib.pyplot as plt

    period = pd.Period(period, freq="M")
    plot_migration(migration, period, f"Segments de comportement sur {days} jours : "
                   f"{month_label(str(period - 1))} → {month_label(str(period))}")
    plt.show()
    reporting.takeaway(behaviour_flows_sentence(beh_flows, days))


# --------------------------------------------------------------------------- 9. explorer


def segment_explorer(profiles: pd.DataFrame, seg_feat: pd.DataFrame, categories):
    """A segment picker showing its profile, top regions and category mix (JupyterLab only)."""
    import ipywidgets as widgets
    from IPython.display import display

    shown = profiles_shown(profiles)

    def _show(name):
        own = seg_feat[seg_feat["segment_name"] == name]
        display(shown.loc[[name]].rename(columns=seg.PROFILE_LABELS_FR).T.rename(columns={name: "Valeur"}))
        display(own["region"].value_counts(normalize=True).head(5).map(fmt_pct)
                .rename("Part des clients").rename_axis("Région"))
        display(own[[f"cat_{c}" for c in categories]].mean().rename(lambda c: c[4:]).sort_values(ascending=False)
                .map(fmt_pct).rename("Part des dépenses").rename_axis("Catégorie"))

    picker = widgets.Dropdown(options=list(profiles.index), description="Segment")
    return widgets.VBox([picker, widgets.interactive_output(_show, {"name": picker})])


def _category_mix(seg_feat: pd.DataFrame, categories) -> tuple[pd.DataFrame, pd.Series]:
    """(mean share of spend per category and segment, over customers who bought something;
    customers left out per segment because they bought nothing on the period).

    Why: a customer without any purchase has a 0 % share in every category; averaged in, a
    segment made of such customers (k-means gives them a segment of their own) showed as a row
    of 0 % everywhere, which reads as "buys nothing in any category" rather than "no data"."""
    cols = [f"cat_{c}" for c in categories]
    bought = seg_feat[cols].fillna(0).sum(axis=1) > 0
    mix = seg_feat[bought].groupby("segment_name")[cols].mean()
    left_out = seg_feat.loc[~bought, "segment_name"].value_counts()
    return mix, left_out


def plot_segment_mix(seg_feat: pd.DataFrame, regions, categories, category_label):
    """Region (the first 8 of `regions`, share of the segment's customers) and category mix per
    segment (mean share of spend, over the customers who bought on the period: a segment with no
    buyer has no row, said by `segment_mix_sentence`); returns the figure."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(14, 4.5))
    reg = pd.crosstab(seg_feat["segment_name"], seg_feat["region"], normalize="index")
    reg = reg[[r for r in list(regions)[:8] if r in reg.columns]]
    if reg.empty:  # no customer region in the file
        axes[0].text(0.5, 0.5, "Région des clients non renseignée", ha="center", va="center")
        axes[0].set_axis_off()
        axes[0].set_title("Régions principales par segment (part des clients)")
    else:
        _heatmap(reg, "Régions principales par segment (part des clients)", ax=axes[0])
    cat, _left_out = _category_mix(seg_feat, categories)
    _heatmap(cat.rename(columns=lambda c: category_label(c[4:])),
             "Catégories par segment (part des dépenses des acheteurs)", ax=axes[1])
    plt.tight_layout()
    return fig


def segment_mix_sentence(seg_feat: pd.DataFrame, categories, category_label) -> str:
    """The "À retenir" of the segment-mix heatmaps: each segment's most distinctive category
    (its share of spend against all buyers'), and who was left out of the category view
    (customers without any purchase on the period, by segment), never silently."""
    mix, left_out = _category_mix(seg_feat, categories)
    parts = []
    if len(mix):
        cols = [f"cat_{c}" for c in categories]
        overall = seg_feat.loc[seg_feat[cols].fillna(0).sum(axis=1) > 0, cols].mean()
        lift = mix[cols] - overall[cols]
        top, col = lift.stack().idxmax()
        parts.append(f"le segment « {top} » se distingue par « {category_label(col[4:])} » : "
                     f"{fmt_pct(mix.loc[top, col])} de ses dépenses, contre {fmt_pct(overall[col])} "
                     f"pour l'ensemble des acheteurs")
    if left_out.sum():
        gone = [s for s in left_out.index if s not in mix.index and s != seg.NO_PURCHASE]
        who = (f" (tout le segment « {gone[0]} »)" if len(gone) == 1 else
               f" (tous les segments {', '.join(f'« {g} »' for g in gone)})" if gone else "")
        parts.append(f"{fmt_int(left_out.sum())} clients sans aucun achat sur la période{who} sont laissés hors "
                     f"de la vue par catégorie, qui n'a pas de sens pour eux ; ils restent dans la vue par région")
    return (" ; ".join(parts) + ".") if parts else "Aucun achat par catégorie sur la période."
