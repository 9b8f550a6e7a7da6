"""Multi-channel attribution: who gets the credit for a conversion.

Works on the aggregated path form analysts exchange (one row per distinct path):
`path` (channels joined by " > "), `total_conversions`, `total_conversion_value` (optional),
`total_null` (optional: journeys of that path that did not convert).

Conventions follow the reference package ChannelAttribution (Altomare & Loris), so results
can be compared with it:

* channel names are trimmed; empty tokens ("a >> b") are ignored;
* heuristics: first touch = first channel, last touch = last channel, linear = every touch
  gets an equal part (a channel seen twice gets two parts);
* Markov chain of order k: states are the sliding k-tuples of channels of a path (a path
  shorter than k is one state), consecutive identical states are merged (self-loops carry
  no information on absorption), every path starts in `(start)` and ends in `(conversion)`
  (weight `total_conversions`) or `(null)` (weight `total_null`);
* removal effect of a channel = relative drop of the conversion probability when every
  state holding that channel is removed (its inflow goes to `(null)`); attributed conversions
  = total conversions x removal effect / sum of removal effects. The value version weights
  each conversion by the mean value of conversions ending in the same last state.

ChannelAttribution estimates these quantities by simulation; here they are solved exactly
from the absorbing chain (one sparse linear system per channel).
"""

from __future__ import annotations

from dataclasses import dataclass
from math import factorial

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

PATH = "path"
CONVERSIONS = "total_conversions"
VALUE = "total_conversion_value"
NULL = "total_null"
SEP = ">"
START, CONVERSION, NULL_STATE = "(start)", "(conversion)", "(null)"
DIRECT = "direct"  # credit of conversions without any touch (timestamped models)


# ---------------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedPaths:
    """Distinct paths, tokenised once (vectorised with pyarrow) and reusable by every model."""

    channels: list[str]  # channel names, in order of first appearance
    tokens: np.ndarray  # channel code of every touch, paths concatenated
    parent: np.ndarray  # path index of every touch
    lengths: np.ndarray  # number of touches per path
    conversions: np.ndarray  # float, per path
    nulls: np.ndarray  # float, per path
    values: np.ndarray  # float, per path (0 when no value column)
    has_value: bool

    @property
    def n_paths(self) -> int:
        return len(self.lengths)

    @property
    def offsets(self) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(self.lengths)[:-1]]).astype(np.int64)


def _check_counts(df: pd.DataFrame, col: str) -> np.ndarray:
    values = pd.to_numeric(df[col], errors="coerce")
    bad = values.isna() | (values < 0)
    if bad.any():
        rows = list(df.index[bad][:5])
        raise ValueError(
            f"column {col!r}: {int(bad.sum())} row(s) are missing, non-numeric or negative "
            f"(first rows: {rows}); expected counts >= 0"
        )
    return values.to_numpy(dtype=float)


def parse_paths(paths: pd.DataFrame, sep: str = SEP) -> ParsedPaths:
    """Validate and tokenise aggregated paths; identical paths are merged first.

    Raises ValueError naming the column and rows when the input does not fit the form.
    """
    if not isinstance(paths, pd.DataFrame):
        raise TypeError("paths must be a pandas DataFrame in the aggregated path form")
    missing = [c for c in (PATH, CONVERSIONS) if c not in paths.columns]
    if missing:
        raise ValueError(
            f"paths is missing column(s) {missing}; expected {PATH!r}, {CONVERSIONS!r} "
            f"and optionally {VALUE!r}, {NULL!r}"
        )
    if paths.empty:
        raise ValueError("paths is empty: nothing to attribute")
    text = paths[PATH]
    bad_path = text.isna()
    if bad_path.any():
        raise ValueError(
            f"column {PATH!r}: {int(bad_path.sum())} missing path(s) "
            f"(first rows: {list(paths.index[bad_path][:5])})"
        )
    frame = pd.DataFrame(
        {
            PATH: text.astype(str).to_numpy(),
            CONVERSIONS: _check_counts(paths, CONVERSIONS),
            NULL: _check_counts(paths, NULL) if NULL in paths.columns else 0.0,
            VALUE: _check_counts(paths, VALUE) if VALUE in paths.columns else 0.0,
        }
    )
    frame = frame.groupby(PATH, sort=False, as_index=False).sum()

    lists = pc.split_pattern(pa.array(frame[PATH].to_numpy(), type=pa.string()), pattern=sep)
    flat = pc.utf8_trim_whitespace(pc.list_flatten(lists))
    parent = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False).astype(np.int64)
    keep = pc.not_equal(flat, "").to_numpy(zero_copy_only=False)
    flat = pc.filter(flat, pa.array(keep))
    parent = parent[keep]
    lengths = np.bincount(parent, minlength=len(frame))
    if (lengths == 0).any():
        empty = frame[PATH][lengths == 0]
        raise ValueError(
            f"column {PATH!r}: {len(empty)} path(s) hold no channel (e.g. {list(empty[:3])})"
        )
    encoded = pc.dictionary_encode(flat)
    return ParsedPaths(
        channels=encoded.dictionary.to_pylist(),
        tokens=encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64),
        parent=parent,
        lengths=lengths.astype(np.int64),
        conversions=frame[CONVERSIONS].to_numpy(dtype=float),
        nulls=frame[NULL].to_numpy(dtype=float),
        values=frame[VALUE].to_numpy(dtype=float),
        has_value=VALUE in paths.columns,
    )


# ---------------------------------------------------------------------------------------------
# Heuristic models
# ---------------------------------------------------------------------------------------------


def heuristic_attribution(paths: pd.DataFrame, sep: str = SEP) -> pd.DataFrame:
    """First-touch, last-touch and linear attribution of conversions (and values) per channel.

    One row per channel (first-appearance order): `first_touch`, `last_touch`, `linear_touch`
    conversions and `first_touch_value`, `last_touch_value`, `linear_touch_value`.
    """
    p = parse_paths(paths, sep)
    n_ch = len(p.channels)
    offsets = p.offsets
    first = p.tokens[offsets]
    last = p.tokens[offsets + p.lengths - 1]
    share = 1.0 / p.lengths[p.parent]
    out = pd.DataFrame({"channel": p.channels})
    for weights, suffix in ((p.conversions, ""), (p.values, "_value")):
        out[f"first_touch{suffix}"] = np.bincount(first, weights=weights, minlength=n_ch)
        out[f"last_touch{suffix}"] = np.bincount(last, weights=weights, minlength=n_ch)
        out[f"linear_touch{suffix}"] = np.bincount(
            p.tokens, weights=weights[p.parent] * share, minlength=n_ch
        )
    if not p.has_value:
        out = out.drop(columns=[c for c in out.columns if c.endswith("_value")])
    return out


# ---------------------------------------------------------------------------------------------
# Markov chain
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Chain:
    """States and per-path state sequences of a Markov model of some order (weights apart)."""

    state_tuples: np.ndarray  # (n_states, order) channel codes, -1 padded; row 0 unused (start)
    seq_states: np.ndarray  # state id of every step, paths concatenated (start excluded)
    seq_parent: np.ndarray  # path index of every step
    first_state: np.ndarray  # per path
    last_state: np.ndarray  # per path

    @property
    def n_transient(self) -> int:
        return len(self.state_tuples)


def _build_chain(p: ParsedPaths, order: int) -> _Chain:
    if order < 1:
        raise ValueError(f"order must be >= 1, got {order}")
    offsets = p.offsets
    local = np.arange(len(p.tokens)) - offsets[p.parent]
    length = p.lengths[p.parent]
    starts = local <= np.maximum(length - order, 0)  # a k-tuple starts here
    pos = np.flatnonzero(starts)
    grams = np.full((len(pos), order), -1, dtype=np.int64)
    for j in range(order):
        ok = local[pos] + j < length[pos]
        grams[ok, j] = p.tokens[pos[ok] + j]
    base = len(p.channels) + 1
    if order * np.log(base) < 62 * np.log(2):
        key = np.zeros(len(pos), dtype=np.int64)
        for j in range(order):
            key = key * base + (grams[:, j] + 1)
        uniq, first_idx, inverse = np.unique(key, return_index=True, return_inverse=True)
        tuples = grams[first_idx]
    else:  # very high order: unique rows directly
        tuples, inverse = np.unique(grams, axis=0, return_inverse=True)
    states = inverse.ravel() + 1  # 0 is (start)
    parent = p.parent[pos]
    dup = np.zeros(len(states), dtype=bool)
    dup[1:] = (states[1:] == states[:-1]) & (parent[1:] == parent[:-1])
    states, parent = states[~dup], parent[~dup]
    counts = np.bincount(parent, minlength=p.n_paths)
    ends = np.cumsum(counts)
    state_tuples = np.vstack([np.full((1, order), -1, dtype=np.int64), tuples])
    return _Chain(state_tuples, states, parent, states[ends - counts], states[ends - 1])


def _transition_counts(chain: _Chain, conv: np.ndarray, null: np.ndarray) -> sp.csr_matrix:
    """Weighted transition counts over transient states + (conversion) + (null)."""
    n = chain.n_transient
    w = conv + null
    same = np.zeros(len(chain.seq_states), dtype=bool)
    same[1:] = chain.seq_parent[1:] == chain.seq_parent[:-1]
    src = np.concatenate(
        [np.zeros(len(w), dtype=np.int64), chain.seq_states[:-1][same[1:]],
         chain.last_state, chain.last_state]
    )
    dst = np.concatenate(
        [chain.first_state, chain.seq_states[1:][same[1:]],
         np.full(len(w), n), np.full(len(w), n + 1)]
    )
    weight = np.concatenate([w, w[chain.seq_parent[1:][same[1:]]], conv, null])
    return sp.coo_matrix((weight, (src, dst)), shape=(n + 2, n + 2)).tocsr()


def _visits(q: sp.csr_matrix, removed: np.ndarray | None = None) -> np.ndarray:
    """Expected visits of every transient state starting from (start): solves (I - Q)^T y = e0."""
    n = q.shape[0]
    if removed is not None and removed.any():
        keep = sp.diags((~removed).astype(float))
        q = (q @ keep).tocsr()  # inflow into removed states goes to (null)
    a = (sp.identity(n, format="csc") - q).T.tocsc()
    e0 = np.zeros(n)
    e0[0] = 1.0
    return np.asarray(spsolve(a, e0)).ravel()


def _markov_core(p: ParsedPaths, chain: _Chain, conv: np.ndarray, null: np.ndarray,
                 values: np.ndarray) -> dict:
    n = chain.n_transient
    counts = _transition_counts(chain, conv, null)
    out_total = np.asarray(counts.sum(axis=1)).ravel()[:n]
    inv = np.divide(1.0, out_total, out=np.zeros(n), where=out_total > 0)
    probs = sp.diags(np.concatenate([inv, [0.0, 0.0]])) @ counts
    probs = probs.tocsr()
    q = probs[:n, :n].tocsr()
    r_conv = probs[:n, n].toarray().ravel()
    conv_at = np.bincount(chain.last_state, weights=conv, minlength=n)
    value_at = np.bincount(chain.last_state, weights=values, minlength=n)
    mean_value = np.divide(value_at, conv_at, out=np.zeros(n), where=conv_at > 0)
    y = _visits(q)
    p_conv = float(y @ r_conv)
    v_conv = float(y @ (r_conv * mean_value))
    if p_conv <= 0:
        raise ValueError("no conversions in the paths: removal effects are undefined")
    n_ch = len(p.channels)
    re_conv = np.zeros(n_ch)
    re_value = np.zeros(n_ch)
    for c in range(n_ch):
        removed = (chain.state_tuples == c).any(axis=1)
        if not removed.any():
            continue
        yc = _visits(q, removed)
        re_conv[c] = 1.0 - float(yc @ r_conv) / p_conv
        if v_conv > 0:
            re_value[c] = 1.0 - float(yc @ (r_conv * mean_value)) / v_conv
    return {"re_conv": re_conv, "re_value": re_value, "p_conv": p_conv, "probs": probs}


def _share(effects: np.ndarray) -> np.ndarray:
    total = effects.sum()
    return effects / total if total > 0 else np.zeros_like(effects)


def markov_attribution(paths: pd.DataFrame, order: int = 1, sep: str = SEP) -> pd.DataFrame:
    """Markov-chain (removal effect) attribution, solved exactly from the absorbing chain.

    Returns one row per channel: `removal_effect`, `conversions` (attributed; they sum to the
    total conversions), `share`, and when values are given `removal_effect_value`,
    `conversion_value` (sums to the total value), `value_share`.
    """
    p = parse_paths(paths, sep)
    chain = _build_chain(p, order)
    res = _markov_core(p, chain, p.conversions, p.nulls, p.values)
    return _markov_frame(p, res, p.conversions.sum(), p.values.sum())


def _markov_frame(p: ParsedPaths, res: dict, total_conv: float, total_value: float):
    out = pd.DataFrame({"channel": p.channels, "removal_effect": res["re_conv"]})
    out["share"] = _share(res["re_conv"])
    out["conversions"] = out["share"] * total_conv
    if p.has_value:
        out["removal_effect_value"] = res["re_value"]
        out["value_share"] = _share(res["re_value"])
        out["conversion_value"] = out["value_share"] * total_value
    return out


def markov_transition_matrix(paths: pd.DataFrame, order: int = 1, sep: str = SEP) -> pd.DataFrame:
    """Transition probabilities of the Markov model (long form: `channel_from`, `channel_to`,
    `probability`), with the `(start)`, `(conversion)` and `(null)` states."""
    p = parse_paths(paths, sep)
    chain = _build_chain(p, order)
    res = _markov_core(p, chain, p.conversions, p.nulls, p.values)
    names = [START] + [
        " > ".join(p.channels[c] for c in row if c >= 0) for row in chain.state_tuples[1:]
    ] + [CONVERSION, NULL_STATE]
    coo = res["probs"].tocoo()
    return pd.DataFrame(
        {
            "channel_from": np.asarray(names, dtype=object)[coo.row],
            "channel_to": np.asarray(names, dtype=object)[coo.col],
            "probability": coo.data,
        }
    ).sort_values(["channel_from", "channel_to"], ignore_index=True)


def markov_bootstrap(paths: pd.DataFrame, order: int = 1, n_boot: int = 200, level: float = 0.95,
                     seed: int = 0, sep: str = SEP) -> pd.DataFrame:
    """Bootstrap confidence intervals of the Markov conversion shares.

    Journeys are resampled with replacement (multinomial over path x outcome cells, the
    total number of journeys kept), the chain re-estimated each time. Returns per channel
    `share` (on the data), `share_low`, `share_high` (percentile interval) and `share_std`.
    """
    if n_boot < 2:
        raise ValueError(f"n_boot must be >= 2, got {n_boot}")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    p = parse_paths(paths, sep)
    chain = _build_chain(p, order)
    base = _markov_core(p, chain, p.conversions, p.nulls, p.values)
    rng = np.random.default_rng(seed)
    cells = np.concatenate([p.conversions, p.nulls])
    total = cells.sum()
    if not np.allclose(cells, np.round(cells)):
        raise ValueError("bootstrap needs whole journey counts in total_conversions/total_null")
    draws = np.empty((n_boot, len(p.channels)))
    k = p.n_paths
    for b in range(n_boot):
        sample = rng.multinomial(int(round(total)), cells / total).astype(float)
        conv, null = sample[:k], sample[k:]
        per_conv = np.divide(p.values, p.conversions, out=np.zeros(k), where=p.conversions > 0)
        try:
            res = _markov_core(p, chain, conv, null, conv * per_conv)
        except ValueError:  # a resample without any conversion
            draws[b] = np.nan
            continue
        draws[b] = _share(res["re_conv"])
    alpha = (1 - level) / 2
    return pd.DataFrame(
        {
            "channel": p.channels,
            "share": _share(base["re_conv"]),
            "share_low": np.nanquantile(draws, alpha, axis=0),
            "share_high": np.nanquantile(draws, 1 - alpha, axis=0),
            "share_std": np.nanstd(draws, axis=0, ddof=1),
        }
    )


# ---------------------------------------------------------------------------------------------
# Shapley
# ---------------------------------------------------------------------------------------------


def _popcount(x: np.ndarray) -> np.ndarray:
    out = np.zeros(x.shape, dtype=np.int64)
    for i in range(63):
        out += (x >> i) & 1
    return out


def _channel_masks(p: ParsedPaths) -> np.ndarray:
    """Bit mask of the set of channels of each distinct path."""
    if len(p.channels) > 62:
        raise ValueError(f"shapley_attribution supports at most 62 channels, got {len(p.channels)}")
    masks = np.zeros(p.n_paths, dtype=np.int64)
    np.bitwise_or.at(masks, p.parent, np.left_shift(np.int64(1), p.tokens))
    return masks


def _shapley_credit(n: int, masks: np.ndarray, conv: np.ndarray, nulls: np.ndarray,
                    values: np.ndarray, max_exact_channels: int, n_permutations: int,
                    rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, bool]:
    """Conversions and values credited to each of `n` channels (see `shapley_attribution`),
    and whether Monte Carlo was used."""
    by_set = pd.DataFrame({"mask": masks, "conv": conv, "tot": conv + nulls,
                           "value": values}).groupby("mask").sum()
    set_masks = by_set.index.to_numpy(dtype=np.int64)  # sorted
    rate = np.divide(by_set["conv"].to_numpy(), by_set["tot"].to_numpy(),
                     out=np.zeros(len(by_set)), where=by_set["tot"].to_numpy() > 0)

    def worth(m: np.ndarray) -> np.ndarray:
        pos = np.clip(np.searchsorted(set_masks, m), 0, len(set_masks) - 1)
        return np.where(set_masks[pos] == m, rate[pos], 0.0)

    credit_conv = np.zeros(n)
    credit_value = np.zeros(n)
    monte_carlo = False
    converting = by_set[by_set["conv"] > 0]
    for mask, c, v_row in zip(converting.index, converting["conv"], converting["value"], strict=True):
        bits = np.array([i for i in range(n) if (int(mask) >> i) & 1], dtype=np.int64)
        k = len(bits)
        if k <= max_exact_channels:
            local = np.arange(1 << k, dtype=np.int64)
            glob = np.zeros(1 << k, dtype=np.int64)
            for j, b in enumerate(bits):
                glob |= ((local >> j) & 1) << b
            v = worth(glob)
            size = _popcount(local)
            weight = np.array([factorial(s) * factorial(k - s - 1) / factorial(k)
                               for s in range(k)])
            phi = np.zeros(k)
            for j in range(k):
                without = local[((local >> j) & 1) == 0]
                phi[j] = np.sum(weight[size[without]] * (v[without | (1 << j)] - v[without]))
        else:
            monte_carlo = True
            phi = np.zeros(k)
            for _ in range(n_permutations):
                order = rng.permutation(k)
                cum = np.cumsum(np.left_shift(np.int64(1), bits[order]))
                v = np.concatenate([[0.0], worth(cum)])
                phi[order] += np.diff(v)
            phi /= n_permutations
        pos_phi = np.clip(phi, 0, None)
        split = pos_phi / pos_phi.sum() if pos_phi.sum() > 0 else np.full(k, 1.0 / k)
        credit_conv[bits] += split * c
        credit_value[bits] += split * v_row
    return credit_conv, credit_value, monte_carlo


def shapley_attribution(paths: pd.DataFrame, max_exact_channels: int = 12,
                        n_permutations: int = 500, seed: int = 0, sep: str = SEP) -> pd.DataFrame:
    """Shapley-value attribution over the set of channels of each journey (order and repeats
    ignored).

    Worth of a set S of channels: the conversion rate of the journeys exposed to exactly S
    (0 for a combination never observed). The conversions (and values) of the journeys with
    channel set T are split among the channels of T in proportion to their Shapley values in
    the game restricted to T (negative values get no credit; equal split if none is
    positive), so every conversion is credited once and only to channels of its journey.
    Shapley values are exact (all 2^|T| sub-combinations) when |T| <= `max_exact_channels`,
    else estimated from `n_permutations` random channel orders (unbiased Monte Carlo);
    `method` says which. Returns per channel `conversions`, `share` (and
    `conversion_value`, `value_share` when values are given), `method`.
    """
    p = parse_paths(paths, sep)
    n = len(p.channels)
    masks = _channel_masks(p)
    credit_conv, credit_value, monte_carlo = _shapley_credit(
        n, masks, p.conversions, p.nulls, p.values, max_exact_channels, n_permutations,
        np.random.default_rng(seed))
    out = pd.DataFrame({"channel": p.channels, "conversions": credit_conv,
                        "share": _share(credit_conv)})
    if p.has_value:
        out["conversion_value"] = credit_value
        out["value_share"] = _share(credit_value)
    out["method"] = (f"monte_carlo_{n_permutations}_permutations" if monte_carlo else "exact")
    return out


def shapley_bootstrap(paths: pd.DataFrame, n_boot: int = 200, level: float = 0.95,
                      seed: int = 0, max_exact_channels: int = 12, n_permutations: int = 200,
                      sep: str = SEP) -> pd.DataFrame:
    """Bootstrap confidence intervals of the Shapley conversion shares, resampled like
    `markov_bootstrap` (journeys drawn with replacement: multinomial over path x outcome
    cells, the total number of journeys kept), so the two models' intervals compare. Returns
    per channel `share` (on the data), `share_low`, `share_high` (percentile interval),
    `share_std`."""
    if n_boot < 2:
        raise ValueError(f"n_boot must be >= 2, got {n_boot}")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    p = parse_paths(paths, sep)
    n = len(p.channels)
    masks = _channel_masks(p)
    rng = np.random.default_rng(seed)
    base, _, _ = _shapley_credit(n, masks, p.conversions, p.nulls, p.values,
                                 max_exact_channels, n_permutations, rng)
    cells = np.concatenate([p.conversions, p.nulls])
    total = cells.sum()
    if not np.allclose(cells, np.round(cells)):
        raise ValueError("bootstrap needs whole journey counts in total_conversions/total_null")
    k = p.n_paths
    draws = np.full((n_boot, n), np.nan)
    zeros = np.zeros(k)
    for b in range(n_boot):
        sample = rng.multinomial(int(round(total)), cells / total).astype(float)
        conv, null = sample[:k], sample[k:]
        if conv.sum() <= 0:
            continue
        credit, _, _ = _shapley_credit(n, masks, conv, null, zeros, max_exact_channels,
                                       n_permutations, rng)
        draws[b] = _share(credit)
    alpha = (1 - level) / 2
    return pd.DataFrame({
        "channel": p.channels,
        "share": _share(base),
        "share_low": np.nanquantile(draws, alpha, axis=0),
        "share_high": np.nanquantile(draws, 1 - alpha, axis=0),
        "share_std": np.nanstd(draws, axis=0, ddof=1),
    })


def channel_presence(paths: pd.DataFrame, sep: str = SEP) -> pd.DataFrame:
    """Per channel: `presence` (share of journeys that hold it), `opens` (share of those
    journeys it opens: first touch), `conversion_with` and `conversion_without` (conversion
    rate of the journeys with / without it) and `lift` (their ratio). Says why Markov and
    Shapley differ: Markov's removal effect grows with presence and with opening journeys
    (removing a channel cuts every journey that passes through it, everything after it
    included), Shapley's credit with what the channel adds to the conversion rate of the
    channel combinations it joins, wherever it sits in the journey."""
    p = parse_paths(paths, sep)
    masks = _channel_masks(p)
    tot = p.conversions + p.nulls
    first = p.tokens[p.offsets]
    rows = []
    for c, name in enumerate(p.channels):
        has = ((masks >> c) & 1).astype(bool)
        n_with, n_without = tot[has].sum(), tot[~has].sum()
        opens = tot[has & (first == c)].sum() / n_with if n_with else np.nan
        with_rate = p.conversions[has].sum() / n_with if n_with else np.nan
        without_rate = p.conversions[~has].sum() / n_without if n_without else np.nan
        rows.append({"channel": name, "presence": n_with / tot.sum() if tot.sum() else np.nan,
                     "opens": opens, "conversion_with": with_rate, "conversion_without": without_rate,
                     "lift": with_rate / without_rate if without_rate else np.nan})
    return pd.DataFrame(rows)


def compare_markov_shapley(markov: pd.DataFrame, shapley: pd.DataFrame,
                           presence: pd.DataFrame) -> pd.DataFrame:
    """Markov and Shapley shares side by side with their intervals (`markov_bootstrap`,
    `shapley_bootstrap` outputs) and `channel_presence`: `markov_share`, `markov_low`,
    `markov_high`, `shapley_share`, `shapley_low`, `shapley_high`, the presence columns. `disagree`: the two 95 % intervals
    do not overlap; `markov_higher`: Markov gives the channel more than Shapley. Sorted by
    the size of the gap (`gap` = markov_share - shapley_share). Which is right depends on the
    question: Markov answers "what would we lose without this channel?" (volume of journeys
    that pass through it), Shapley "how much does this channel add to the conversion of the
    journeys it is in?" (its own contribution)."""
    for name, df in (("markov", markov), ("shapley", shapley)):
        miss = [c for c in ("channel", "share", "share_low", "share_high") if c not in df.columns]
        if miss:
            raise ValueError(f"{name} is missing column(s) {miss} (use {name}_bootstrap)")
    cols = {"share": "share", "share_low": "low", "share_high": "high"}
    m = markov.set_index("channel")[list(cols)].rename(columns=cols).add_prefix("markov_")
    s = shapley.set_index("channel")[list(cols)].rename(columns=cols).add_prefix("shapley_")
    out = m.join(s, how="outer").join(presence.set_index("channel"), how="left")
    out = out.fillna({c: 0.0 for c in out.columns if c.startswith(("markov_", "shapley_"))})
    out["gap"] = out["markov_share"] - out["shapley_share"]
    out["disagree"] = (out["markov_low"] > out["shapley_high"]) | (out["shapley_low"] > out["markov_high"])
    out["markov_higher"] = out["gap"] > 0
    out.index.name = "channel"
    return out.reindex(out["gap"].abs().sort_values(ascending=False).index).reset_index()


# ---------------------------------------------------------------------------------------------
# Timestamped journeys: time decay and position-based (U-shape)
# ---------------------------------------------------------------------------------------------


def _check_touch_frames(touches: pd.DataFrame, journeys: pd.DataFrame, need_time: bool):
    need = ["journey_id", "channel"] + (["timestamp"] if need_time else [])
    miss = [c for c in need if c not in touches.columns]
    if miss:
        raise ValueError(f"touches is missing column(s) {miss}")
    need_j = ["journey_id", "converted", "conversion_value"] + (
        ["conversion_time"] if need_time else []
    )
    miss = [c for c in need_j if c not in journeys.columns]
    if miss:
        raise ValueError(f"journeys is missing column(s) {miss}")
    unknown = ~touches["journey_id"].isin(journeys["journey_id"])
    if unknown.any():
        raise ValueError(f"{int(unknown.sum())} touch(es) belong to no journey in `journeys`")


def _touch_credit(touches: pd.DataFrame, journeys: pd.DataFrame, weight: pd.Series):
    conv = journeys.set_index("journey_id")
    conv = conv[conv["converted"].astype(bool)]
    t = touches.assign(_w=weight.to_numpy())
    t = t[t["journey_id"].isin(conv.index)]
    norm = t.groupby("journey_id")["_w"].transform("sum")
    t = t.assign(_share=t["_w"] / norm)
    t["conversions"] = t["_share"]
    t["conversion_value"] = t["_share"] * t["journey_id"].map(conv["conversion_value"]).fillna(0)
    out = t.groupby("channel", as_index=False, observed=True)[["conversions", "conversion_value"]].sum()
    direct = conv[~conv.index.isin(t["journey_id"])]  # converted without any touch
    if len(direct):
        extra = pd.DataFrame({"channel": [DIRECT], "conversions": [float(len(direct))],
                              "conversion_value": [float(direct["conversion_value"].sum())]})
        out = pd.concat([out, extra]).groupby("channel", as_index=False).sum()
    out["share"] = out["conversions"] / out["conversions"].sum()
    return out.sort_values("conversions", ascending=False, ignore_index=True)


def time_decay_attribution(touches: pd.DataFrame, journeys: pd.DataFrame,
                           half_life_days: float = 7.0) -> pd.DataFrame:
    """Time-decay attribution: a touch's credit halves every `half_life_days` before the
    conversion. `touches`: `journey_id`, `channel`, `timestamp`; `journeys`: `journey_id`,
    `converted`, `conversion_value`, `conversion_time`. Per channel `conversions`,
    `conversion_value`, `share`; converted journeys without any touch are credited to
    `direct` (also in `position_based_attribution`): no conversion is lost."""
    if half_life_days <= 0:
        raise ValueError(f"half_life_days must be > 0, got {half_life_days}")
    _check_touch_frames(touches, journeys, need_time=True)
    end = touches["journey_id"].map(journeys.set_index("journey_id")["conversion_time"])
    age_days = (end - touches["timestamp"]).dt.total_seconds() / 86400.0
    weight = np.power(0.5, age_days.clip(lower=0) / half_life_days)
    return _touch_credit(touches, journeys, weight)


def position_based_attribution(touches: pd.DataFrame, journeys: pd.DataFrame,
                               first_weight: float = 0.4, last_weight: float = 0.4) -> pd.DataFrame:
    """Position-based (U-shape) attribution: `first_weight` to the first touch, `last_weight`
    to the last, the rest spread evenly over the touches in between (a 1-touch journey gives
    all to it, a 2-touch journey splits in proportion to first/last weights). Touches are
    taken in `timestamp` order when given, else in row order."""
    if first_weight < 0 or last_weight < 0 or first_weight + last_weight > 1:
        raise ValueError("first_weight and last_weight must be >= 0 and sum to at most 1")
    _check_touch_frames(touches, journeys, need_time=False)
    t = touches
    if "timestamp" in t.columns:
        t = t.sort_values(["journey_id", "timestamp"], kind="stable")
    pos = t.groupby("journey_id").cumcount()
    n = t.groupby("journey_id")["channel"].transform("size")
    middle = (1 - first_weight - last_weight) / (n - 2).clip(lower=1)
    w = np.where(pos == 0, first_weight, np.where(pos == n - 1, last_weight, middle))
    w = np.where(n == 1, 1.0, w)
    w = np.where((n == 2) & (first_weight + last_weight == 0), 0.5, w)
    return _touch_credit(t, journeys, pd.Series(w, index=t.index))
