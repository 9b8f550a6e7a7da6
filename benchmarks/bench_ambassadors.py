"""Benchmark: identity resolution (time, precision, recall) and influence (PageRank) at scale.

    .venv/bin/python benchmarks/bench_ambassadors.py --quick   # small sizes, < 60 s
    .venv/bin/python benchmarks/bench_ambassadors.py           # 200k customers, 5M edges

Identity resolution runs on CRM customers and social accounts made by the sample generator
(`workbench.sample`, same functions as `generate()`, customers and social accounts only, so that
200k customers do not need the whole 16M-touchpoint sample), or on an existing sample folder
(`--data DIR`, e.g. one written by `sample.generate`). Influence runs on a synthetic
heavy-tailed graph; networkx's pagerank is the reference (timed on a smaller graph when the
big one would take too long, as the note says) and the results are compared.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

import numpy as np
import pandas as pd


def _peak_mb() -> float:
    """Peak resident memory of this process so far (MB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _row(stage, size, seconds, target=None, peer=None, peer_seconds=None, check="", note=""):
    ratio = None if not peer_seconds else round(seconds / peer_seconds, 3)
    return {"stage": stage, "size": size, "seconds": round(seconds, 2), "peak_mb": round(_peak_mb()),
            "target": target, "peer": peer, "peer_seconds": peer_seconds, "ratio": ratio,
            "check": check, "note": note}


def identity_tables(customers: int, seed: int = 0):
    """customers, social_accounts and the true pairs, from the sample generator's own code."""
    from workbench import sample

    cal = sample._calendar("2025-11-01", 12, seed)
    cities = sample._cities()
    stores = sample._stores(customers, cities, seed)
    custs, linked = [], []
    for offset in range(0, customers, sample.CHUNK):
        n = min(sample.CHUNK, customers - offset)
        cust = sample._customers_chunk(offset, n, stores, cities, cal.days[0], seed)
        seg = cust["_segment"].to_numpy()
        r = sample._rng(seed, 20, offset)  # same stream as generate(): who has a social account
        has_social = r.random(n) < sample._SEG_SOCIAL[seg]
        linked.append(cust.loc[has_social, ["customer_id", "first_name", "last_name", "email",
                                             "city", "birth_year"]].assign(segment=seg[has_social]))
        custs.append(cust.drop(columns="_segment"))
    accounts, pairs = sample._social_accounts(pd.concat(linked, ignore_index=True), customers,
                                              cities, seed)
    return pd.concat(custs, ignore_index=True), accounts, pairs


def bench_identity(customers: int, data_dir: str | None = None) -> list[dict]:
    from workbench import ambassadors

    t0 = time.perf_counter()
    if data_dir:
        from workbench import datasets, sample

        cust = datasets.read_table("customers", data_dir)
        acc = datasets.read_table("social_accounts", data_dir)
        pairs = sample.load_truth(data_dir)["identity_pairs"]
        how = f"tables read from {data_dir}"
    else:
        cust, acc, pairs = identity_tables(customers)
        how = "customers and accounts from the sample generator's functions"
    prep = time.perf_counter() - t0
    t0 = time.perf_counter()
    links = ambassadors.link_identities(cust, acc)
    secs = time.perf_counter() - t0
    true = set(zip(pairs["customer_id"], pairs["account_id"], strict=True))
    got = set(zip(links["customer_id"], links["account_id"], strict=True))
    precision = len(true & got) / max(len(got), 1)
    recall = len(true & got) / max(len(true), 1)
    n_acc = int((acc["account_type"] == "person").sum())
    ok = precision >= 0.95 and recall >= 0.95
    return [
        _row("identity: data", len(cust), prep, note=how),
        _row("identity: link_identities", f"{len(cust)} customers x {n_acc} accounts", secs,
             target=">= 0.95 precision and recall",
             check=f"precision {precision:.3f} recall {recall:.3f} ({'ok' if ok else 'below target'})",
             note=f"{len(links)} links, {links.attrs['ambiguous_accounts']} homonym ties left "
                  f"unlinked, training {links.attrs.get('training')}"),
    ]


def synthetic_edges(n_edges: int, n_nodes: int, seed: int = 0) -> pd.DataFrame:
    """Heavy-tailed graph: a few accounts are amplified by many (Zipf sources)."""
    r = np.random.default_rng(seed)
    src = np.minimum(r.zipf(1.6, n_edges) - 1, n_nodes - 1)
    tgt = r.integers(0, n_nodes, n_edges)
    perm = r.permutation(n_nodes)  # ids not sorted by popularity
    names = np.char.add("A", np.char.zfill(np.arange(n_nodes).astype(str), 8))
    return pd.DataFrame({"source": names[perm[src]], "target": names[tgt],
                         "weight": r.choice([0.2, 0.7, 1.0], n_edges)})


def bench_influence(n_edges: int, nx_edges: int) -> list[dict]:
    from workbench import ambassadors

    edges = synthetic_edges(n_edges, max(n_edges // 10, 100))
    t0 = time.perf_counter()
    out = ambassadors.influence(edges)
    secs = time.perf_counter() - t0
    rows = [_row("influence: scipy power iteration", f"{n_edges} edges, {len(out)} accounts", secs,
                 target="5M edges well under 30 s", check=f"sum {out['influence'].sum():.6f}")]
    try:
        import networkx as nx
    except ImportError:
        rows.append(_row("influence: networkx", nx_edges, 0.0, note="networkx not installed"))
        return rows
    small = edges.head(nx_edges)
    t0 = time.perf_counter()
    ours = ambassadors.influence(small).set_index("account_id")["influence"]
    ours_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    g = nx.DiGraph()
    agg = small.groupby(["source", "target"], as_index=False)["weight"].sum()
    agg = agg[agg["source"] != agg["target"]]
    g.add_weighted_edges_from(zip(agg["target"], agg["source"], agg["weight"], strict=True))
    ref = pd.Series(nx.pagerank(g, alpha=0.85, weight="weight", tol=1e-10, max_iter=500))
    nx_s = time.perf_counter() - t0
    diff = float((ours - ref.reindex(ours.index)).abs().max())
    note = "" if nx_edges == n_edges else (
        f"networkx timed on the first {nx_edges} edges (the full graph would take too long)")
    rows.append(_row("influence vs networkx.pagerank", f"{nx_edges} edges", ours_s, peer="networkx",
                     peer_seconds=round(nx_s, 2), check=f"max |difference| {diff:.2e}", note=note))
    return rows


def main(argv=None) -> list[dict]:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small sizes (< 60 s)")
    p.add_argument("--customers", type=int, default=None, help="customers for identity resolution")
    p.add_argument("--edges", type=int, default=None, help="edges for influence")
    p.add_argument("--data", default=None, help="use this generated sample folder for identity")
    args = p.parse_args(argv)
    customers = args.customers or (5_000 if args.quick else 200_000)
    n_edges = args.edges or (200_000 if args.quick else 5_000_000)
    nx_edges = min(n_edges, 50_000 if args.quick else 300_000)
    rows = bench_influence(n_edges, nx_edges) + bench_identity(customers, args.data)
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 220, "display.max_columns", 20,
                           "display.max_colwidth", 80):
        print(table.to_string(index=False))
    return rows


if __name__ == "__main__":
    main(sys.argv[1:])
