"""French tables, sentences and charts of the monthly KPI page, from the outputs of
`workbench.kpis` (kept apart so the analysis module stays small and free of presentation).

* `changes_table`: the month's KPIs with their changes, computed on displayed values.
* `effects_table` / `effects_reading`: the hard/soft effects and why each is headlined or not.
* `coefficients_table`, `diagnostics_table`, `diagnostics_sentence`, `fit_sentence`,
  `explain_model`: readings of one measurement model.
* `plot_small_multiples`: one mini chart per KPI over the months.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench import french, indicators, reporting
from workbench.kpis import KPIS, ModelResult, _series_label

__all__ = [
    "changes_table",
    "month_sentence",
    "effects_sentence",
    "effects_table",
    "effects_reading",
    "coefficients_table",
    "diagnostics_table",
    "diagnostics_sentence",
    "fit_sentence",
    "explain_model",
    "plot_small_multiples",
    "plot_twin",
    "plot_pair",
]


def _pct(x: float) -> str:
    """A relative change as the pages write it: '+6,2 %', '−1,5 %' (`reporting.fmt_signed`)."""
    return reporting.fmt_signed(100 * x, 1, "%")


def _p(p: float) -> str:
    """'p < 0,001' or 'p = 0,012'."""
    return "p < 0,001" if p < 0.001 else "p = " + reporting.fmt_num(p, 3)


def _effect_text(r) -> str:
    """The size of a soft -> hard effect: '+6,2 %' for +10 % of a volume, or '−1,5 % pour +1 pt'
    for a share or index modelled in levels; '–' when neither is known."""
    e10 = getattr(r, "effect_10pct", np.nan)
    e1 = getattr(r, "effect_1pt", np.nan)
    if pd.notna(e10):
        return _pct(e10)
    if pd.notna(e1):
        return f"{_pct(e1)} pour +1 pt"
    return "–"


def _lag_words(lag: int) -> str:
    """'de la même semaine', 'de la semaine précédente', "d'il y a 2\u00a0semaines"."""
    if lag == 0:
        return "de la même semaine"
    return "de la semaine précédente" if lag == 1 else f"d'il y a {french.count(lag, 'semaine')}"


def explain_model(result: ModelResult, granger: pd.DataFrame | None = None) -> str:
    """Plain-French reading of the model (Markdown), for marketing readers."""
    hard = KPIS[result.hard].label if result.hard in KPIS else result.hard
    lines = []
    for w in result.warnings:
        lines.append(f"> ⚠️ {w}")
    if not result.estimated:
        return "\n\n".join(lines)
    lines.append(
        f"Modèle estimé sur **{result.n_weeks} semaines** : {hard.lower()} de la semaine expliqué par "
        f"les indicateurs d'image {_lag_words(result.lag)}, "
        "en tenant compte des soldes, du Black "
        "Friday, de Noël, du mois et de la tendance. Écarts-types robustes (HAC, Newey-West, "
        f"{result.hac_lags} semaines)."
    )
    level = int(round(100 * (1 - result.alpha)))
    for row in result.coefficients[result.coefficients["kind"] == "doux"].itertuples():
        sig = row.p_value < result.alpha
        direction = "hausse" if row.coef > 0 else "baisse"
        if np.isfinite(row.effect_10pct):
            lo, hi = 1.1**row.ci_low - 1, 1.1**row.ci_high - 1
            effect = (f"quand l'indicateur « {row.label} » augmente de 10 %, « {hard} » varie en "
                      f"moyenne de **{_pct(row.effect_10pct)}** (intervalle à {level} % : {_pct(lo)} "
                      f"à {_pct(hi)})")
        else:
            effect = (f"une unité de plus de l'indicateur « {row.label} » va avec {row.coef:+.3g} de "
                      f"« {hard} » (intervalle à {level} % : {row.ci_low:+.3g} à {row.ci_high:+.3g})")
        verdict = (f"lien **significatif** ({_p(row.p_value)}) : {direction} associée"
                   if sig else f"lien **non significatif** ({_p(row.p_value)}) : pas de conclusion")
        lines.append(f"- {effect} ; {verdict}.")
    if granger is not None and len(granger) and granger["p_value"].notna().any():
        best = granger.dropna(subset=["p_value"]).sort_values("p_value").groupby("soft").head(1)
        for row in best.itertuples():
            label = KPIS[row.soft].label if row.soft in KPIS else row.soft
            if row.p_value < result.alpha:
                lines.append(f"- Test de Granger : « {label} » **précède** « {hard} » "
                             f"(décalage de {french.count(row.lag, 'semaine')}, {_p(row.p_value)}).")
            else:
                lines.append(f"- Test de Granger : « {label} » ne précède pas de façon démontrée "
                             f"« {hard} » ({_p(row.p_value)}).")
    lines.append(
        "Un lien statistique n'est pas une preuve de causalité : il indique quels indicateurs "
        "d'image annoncent les ventes et méritent d'être suivis chaque semaine."
    )
    return "\n\n".join(lines)


def effects_reading(effects: pd.DataFrame) -> pd.Series:
    """One French sentence per effect of `robust_effects` (why it is headlined or not)."""
    out = []
    for r in effects.itertuples():
        when = _lag_words(r.lag)
        e1 = getattr(r, "effect_1pt", np.nan)
        size = (f"+10 % de « {r.soft_label} » {when} va avec {_pct(r.effect_10pct)} de « {r.hard_label} »"
                if pd.notna(r.effect_10pct) else
                f"+1 point de « {r.soft_label} » {when} va avec {_pct(e1)} de « {r.hard_label} »"
                if pd.notna(e1) else
                f"« {r.soft_label} » {when} va avec une {'hausse' if r.coef > 0 else 'baisse'} de « {r.hard_label} »")
        if r.robust:
            why = ("effet robuste (significatif, confirmé par le test de Granger, même sens que la relation "
                   "simple)" if r.lag else "effet robuste (significatif, même sens que la relation simple, et "
                   "l'indicateur dur ne précède pas l'indicateur doux)")
        elif not r.significant:
            why = f"non significatif une fois tenu compte du nombre de tests ({_p(r.p_adjusted)}) : pas de conclusion"
        elif not r.granger_ok:
            why = ("non retenu : le test de Granger ne confirme pas que l'indicateur doux précède"
                   if r.lag else "non retenu : l'indicateur dur semble précéder l'indicateur doux")
        else:
            why = "non retenu : son signe s'inverse par rapport à la relation simple (indicateurs doux corrélés entre eux)"
        out.append(f"{size} ; {why}.")
    return pd.Series(out, index=effects.index, dtype=object)


def effects_table(effects: pd.DataFrame) -> pd.DataFrame:
    """`robust_effects` as a French table: one row per soft -> hard pair."""
    return pd.DataFrame({
        "Indicateur dur": effects["hard_label"],
        "Indicateur doux": effects["soft_label"],
        "Décalage": effects["lag"].map(lambda k: "même semaine" if k == 0 else french.count(k, "semaine")),
        "Effet de +10 % (part : +1 pt)": [_effect_text(r) for r in effects.itertuples()],
        "p-valeur ajustée": effects["p_adjusted"].map(lambda p: _p(p).replace("p = ", "").replace("p ", "")),
        "Granger": effects["granger_ok"].map({True: "confirmé", False: "non confirmé"}),
        "Retenu": effects["robust"].map({True: "oui", False: "non"}),
    }).reset_index(drop=True)


# --------------------------------------------------------------------------- plots


def plot_small_multiples(monthly: pd.DataFrame, kpis, month=None, ncols: int = 4):
    """Small multiples: one mini line chart per KPI over the months (French labels); the
    report month is highlighted. Returns the matplotlib Figure."""
    import matplotlib.pyplot as plt

    kpis = [k for k in kpis if k in monthly.columns and monthly[k].notna().any()]
    if not kpis:
        raise ValueError("no KPI with values to plot")
    nrows = int(np.ceil(len(kpis) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols, 2.1 * nrows), squeeze=False)
    x = monthly.index.to_timestamp()
    for ax, name in zip(axes.flat, kpis, strict=False):
        k = KPIS[name]
        y = monthly[name].astype(float)
        ax.plot(x, y, color="#3366cc", lw=1.6)
        if month is not None and pd.Period(month, "M") in monthly.index:
            p = pd.Period(month, "M")
            ax.scatter([p.to_timestamp()], [monthly.loc[p, name]], color="#c62828", zorder=3, s=25)
        ax.set_title(k.label, fontsize=9)
        ax.tick_params(labelsize=7)
        ticks = x[:: max(1, len(x) // 4)]
        ax.set_xticks(ticks)
        ax.set_xticklabels(reporting.short_month_labels(ticks))
        if k.unit == "rate":
            reporting.pct_axis(ax)
        elif k.unit == "index":  # -1..+1 shown in points
            ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _p: reporting.fmt_num(100 * v)))
            ax.set_ylabel("points", fontsize=7)
        elif k.unit == "eur":
            reporting.eur_axis(ax)
        elif k.unit == "count":
            reporting.int_axis(ax, compact=True)
        else:
            ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _p: reporting.fmt_num(v, 1)))
    for ax in list(axes.flat)[len(kpis):]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- French tables


def changes_table(changes: pd.DataFrame) -> pd.DataFrame:
    """The `kpi_changes` output as a French table for readers (values formatted as text); the
    year-ago columns are left out when no KPI has a year-ago value (short history).

    Values and changes are displayed by the indicator registry; changes are computed on the
    displayed (rounded) values, so a reader can check them by hand."""
    rows = []
    family = {"dur": "dur", "doux": "doux"}
    for r in changes.itertuples():
        yoy = indicators.display_change(r.kpi, r.value, r.year_ago)
        rows.append({
            "Indicateur": r.label,
            "Type": family.get(r.family, "service client"),
            "Valeur du mois": indicators.display(r.kpi, r.value),
            "Mois précédent": indicators.display(r.kpi, r.previous),
            "Évolution sur un mois": indicators.display_change(r.kpi, r.value, r.previous),
            "Il y a un an": indicators.display(r.kpi, r.year_ago),
            "Évolution sur un an": yoy if yoy != "–" else ("historique trop court" if r.yoy_note else "–"),
        })
    out = pd.DataFrame(rows)
    if len(out) and changes["yoy_change"].isna().all():  # no year-ago month at all: say it once, in the text
        out = out.drop(columns=["Il y a un an", "Évolution sur un an"])
    return out


def coefficients_table(result: ModelResult, controls: bool = False) -> pd.DataFrame:
    """The model's coefficients as a French table (soft KPIs only unless `controls`)."""
    coef = result.coefficients
    if not controls:
        coef = coef[coef["kind"] == "doux"]
    level = int(round(100 * (1 - result.alpha)))
    return pd.DataFrame({
        "Variable": coef["label"],
        "Coefficient": coef["coef"].round(3),
        f"Borne basse {level} %": coef["ci_low"].round(3),
        f"Borne haute {level} %": coef["ci_high"].round(3),
        "p-valeur": coef["p_value"].map(lambda p: _p(p).replace("p = ", "").replace("p ", "")),
        "Effet de +10 % (part : +1 pt)": [_effect_text(r) for r in coef.itertuples()],
        "Significatif": (coef["p_value"] < result.alpha).map({True: "oui", False: "non"}),
    }).reset_index(drop=True)


def fit_sentence(result: ModelResult) -> str:
    """One French sentence on how the model follows the hard KPI: the week it explains worst."""
    if not result.estimated or result.fitted is None or not len(result.fitted):
        return "Modèle non estimé : historique trop court."
    f = result.fitted
    gap = f["observed"] / f["fitted"] - 1
    worst = gap.abs().idxmax()
    label = _series_label(result.hard).lower()
    return (f"Le modèle suit le {label} semaine par semaine ; la semaine la plus mal expliquée finit le "
            f"{worst:%d/%m/%Y} : {indicators.display(result.hard, f.loc[worst, 'observed'])} observés pour "
            f"{indicators.display(result.hard, f.loc[worst, 'fitted'])} attendus ({_pct(gap[worst])}).")


def diagnostics_sentence(result: ModelResult) -> str:
    """One French sentence from the model's diagnostics (what to trust in its intervals)."""
    if not result.estimated:
        return "Modèle non estimé : historique trop court."
    d = result.diagnostics.set_index("test")["reading"]
    keys = ["Autocorrélation des résidus (Ljung-Box)", "Normalité des résidus (Jarque-Bera)",
            "Variance constante (Breusch-Pagan)"]
    parts = [d[k] for k in keys if k in d.index]
    return (f"Le modèle explique {_pct(result.r_squared).lstrip('+')} des variations hebdomadaires ; "
            + " ; ".join(parts) + ".")


def diagnostics_table(result: ModelResult) -> pd.DataFrame:
    """The model's diagnostics as a French table."""
    d = result.diagnostics
    return pd.DataFrame({
        "Contrôle": d["test"],
        "Valeur": d["value"].round(3),
        "p-valeur": d["p_value"].map(lambda p: "–" if pd.isna(p) else _p(p).replace("p = ", "").replace("p ", "")),
        "Lecture": d["reading"],
    }).reset_index(drop=True)


def month_sentence(changes: pd.DataFrame, month_name: str,
                   names=("sales", "negative_mentions", "customer_service_calls")) -> str:
    """'Chiffre d'affaires du mois : 2 237 626 € en octobre 2026 (−12,3 % sur un mois) ; …' for
    the KPIs `names` of `kpi_changes` (changes on displayed values)."""
    row = changes.set_index("kpi")
    parts = []
    for i, n in enumerate(k for k in names if k in row.index):
        value = indicators.display(n, row.loc[n, "value"])
        change = indicators.display_change(n, row.loc[n, "value"], row.loc[n, "previous"])
        when = f" en {month_name}" if i == 0 else ""
        parts.append(f"{indicators.label(n)} : {value}{when} ({change} sur un mois)")
    return " ; ".join(parts) + "."


def effects_sentence(effects: pd.DataFrame, n_weeks: int) -> str:
    """How many soft -> hard effects are headlined, and which (first clause of their reading)."""
    robust = effects[effects["robust"]]
    which = "; ".join(effects_reading(robust).str.split(" ; ").str[0]) if len(robust) else "aucun"
    return (f"{french.count(len(robust), 'effet retenu')} sur {len(effects)} testés, sur {n_weeks} semaines : {which}. "
            "Un lien statistique n'est pas une preuve de causalité.")


_UNIT_WORD = {"rate": "part", "count": "nombre", "eur": "euros", "hours": "heures", "days": "jours"}


def _unit_axis(ax, name: str) -> None:
    from workbench import reporting

    unit = indicators.get(name).unit if name in indicators.REGISTRY else "count"
    if unit == "rate":
        reporting.pct_axis(ax)
        ax.set_ylim(0, 1)
    elif unit in ("count", "eur"):
        (reporting.eur_axis if unit == "eur" else reporting.int_axis)(ax)
    else:
        ax.set_ylim(0, 1.2 * max(1e-9, float(np.nanmax(ax.get_lines()[-1].get_ydata()))))


def plot_twin(monthly: pd.DataFrame, left: str, right: str, title: str, bars: bool = False):
    """Two registry indicators over the months (monthly PeriodIndex) on two axes: `left` as a
    line (or bars), `right` as a line; French month axis, axis formats from the registry units,
    legend below the chart. Returns the matplotlib Figure."""
    import matplotlib.pyplot as plt

    from workbench import reporting

    fig, ax1 = plt.subplots()
    x = monthly.index.to_timestamp()
    lab = {n: _series_label(n) for n in (left, right)}
    if bars:
        ax1.bar(x, monthly[left], width=20, color="#9bb7e0", label=lab[left])
    else:
        ax1.plot(x, monthly[left], marker="o", color="tab:blue", label=lab[left])
    _unit_axis(ax1, left)
    ax1.set_ylabel(_UNIT_WORD.get(indicators.get(left).unit, "") if left in indicators.REGISTRY else "")
    ax2 = ax1.twinx()
    ax2.plot(x, monthly[right], marker="s", color="#c62828", label=lab[right])
    _unit_axis(ax2, right)
    ax2.set_ylabel(_UNIT_WORD.get(indicators.get(right).unit, "") if right in indicators.REGISTRY else "")
    ax2.grid(False)
    reporting.month_axis(ax1)
    fig.autofmt_xdate()
    ax1.set_title(title)
    fig.legend(loc="upper center", ncol=2, bbox_to_anchor=(0.5, 0.0))
    return fig


def plot_pair(monthly: pd.DataFrame, left: str, right: str, title: str, bars: bool = False):
    """Two registry indicators over the months side by side, each on its own chart with its
    own French axis (no second axis to misread: a share and hours never share a scale), the
    report month's value written at its point. `left` as a line (or bars), `right` as a line.
    Returns the matplotlib Figure."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 3.8))
    x = monthly.index.to_timestamp()
    for ax, name, color, as_bars in ((axes[0], left, "#3366cc", bars), (axes[1], right, "#c62828", False)):
        values = monthly[name]
        if as_bars:
            ax.bar(x, values, width=20, color="#9bb7e0")
            ax.plot(x, values, alpha=0)  # an invisible line for the axis scale
        else:
            ax.plot(x, values, marker="o", color=color)
        _unit_axis(ax, name)
        if not as_bars and (indicators.get(name).unit if name in indicators.REGISTRY else "count") == "count":
            ax.set_ylim(bottom=0)
        last = values.dropna()
        if len(last):
            text = indicators.display(name, last.iloc[-1]) if name in indicators.REGISTRY else reporting.fmt_num(
                last.iloc[-1])
            ax.annotate(text, (last.index[-1].to_timestamp(), last.iloc[-1]), xytext=(-6, 10),
                        textcoords="offset points", ha="right", fontsize=9, color=color,
                        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85})
        ax.set_title(_series_label(name), fontsize=10)
        reporting.month_axis(ax)
        for t in ax.get_xticklabels():
            t.set_rotation(30)
            t.set_ha("right")
    fig.suptitle(title)
    plt.tight_layout()
    return fig
