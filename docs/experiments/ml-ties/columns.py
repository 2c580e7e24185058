"""Candidate extra columns for the MovieLens-100K fusion, measured in a numpy fusion (docs/quality.md).

Columns: seq (count transitions), ease (EASE lambda 400, top 200, 1-day history half-life), emb (top-64
eigenvectors of the item Gram, power 0.5, cosine to the weighted history), pop (log count); the
candidates: slit (ridge regression from the decayed 3 most recent items to the next item, lambda
100), lowrank (rank-128 SVD of the row-normalised transitions), seqemb (64-d eigen embedding of the
symmetrised windowed transitions), tpop (log count of the events of the 7 days before `now`), new
(-log(1 + days since release at `now`), from u.item), knn (user kNN over recency-weighted
histories, 50 neighbours: ships no user, so it breaks the prototype rule; an upper bound only). Each column is z-scored over the unseen items,
the weights of a weighted sum are chosen by coordinate ascent on the validation targets (models fit
on train), and the same weights score test (models refit on train + validation).
"""
import datetime
import os

import numpy as np

from proto import DATA, NI, SPLITS, U, ndcg, recent, seqscore, trans

rel = np.full(NI, np.nan)
for line in open(os.path.join(DATA, "u.item"), encoding="latin-1"):
    f = line.split("|")
    if f[2]:
        d = datetime.datetime.strptime(f[2], "%d-%b-%Y").replace(tzinfo=datetime.timezone.utc)
        rel[int(f[0]) - 1] = d.timestamp()
rel = np.nan_to_num(rel, nan=0.0)


def unit(E):
    return E / np.maximum(np.linalg.norm(E, axis=1, keepdims=True), 1e-12)


def cos_col(En, hv):
    uv = hv @ En
    return En @ (uv / max(np.linalg.norm(uv), 1e-12))


def fit(S):
    X = np.zeros((len(U), NI))
    for k, u in enumerate(U):
        for i, _ in S[u]:
            X[k, i] = 1
    T, pop = trans(S)
    G = X.T @ X
    G[np.diag_indices(NI)] += 400.0
    P = np.linalg.inv(G)
    B = -P / np.diag(P)[None, :]
    B[np.diag_indices(NI)] = 0
    B = B * (np.argsort(np.argsort(-B, axis=1, kind="stable"), axis=1) < 200)
    w, V = np.linalg.eigh(X.T @ X)
    o = np.argsort(-w)[:64]
    emb = unit(V[:, o] * np.maximum(w[o], 0) ** 0.5)
    rows, ys = [], []
    for u in U:
        s = S[u]
        for k in range(1, len(s)):
            x = np.zeros(NI)
            f = 1.0
            for r in recent(s[:k], 3):
                x[r] += f
                f *= 0.5
            rows.append(x)
            ys.append(s[k][0])
    Xh = np.array(rows)
    Y = np.zeros((len(ys), NI))
    Y[np.arange(len(ys)), ys] = 1
    W = np.linalg.solve(Xh.T @ Xh + 100.0 * np.eye(NI), Xh.T @ Y)
    Tf = trans(S, topk=NI)[0]
    Tn = Tf / np.maximum(Tf.sum(1, keepdims=True), 1e-9)
    u_, s_, vt = np.linalg.svd(Tn)
    L = (u_[:, :128] * s_[:128]) @ vt[:128]
    w, V = np.linalg.eigh(Tf + Tf.T)
    o = np.argsort(-np.abs(w))[:64]
    semb = unit(V[:, o] * np.sqrt(np.abs(w[o])))
    Xr = np.zeros((len(U), NI))
    for k, u in enumerate(U):
        for j, (i, _) in enumerate(S[u]):
            Xr[k, i] = max(Xr[k, i], 0.9 ** (len(S[u]) - 1 - j))
    ev = np.array(sorted((t, i) for u in U for i, t in S[u]))
    return dict(Xr=Xr, Xrn=unit(Xr), T=T, pop=pop, B=B, emb=emb, W=W, L=L, semb=semb, ev=ev)


def knn(m, h, K=50):
    q = np.zeros(NI)
    for j, (i, _) in enumerate(h):
        q[i] = max(q[i], 0.8 ** (len(h) - 1 - j))
    sim = m["Xrn"] @ (q / max(np.linalg.norm(q), 1e-12))
    top = np.argsort(-sim)[1 : K + 1]  # the most similar is the user itself
    return sim[top] @ m["Xr"][top]


def columns(m, h, now):
    hv = np.zeros(NI)
    for i, t in h:
        hv[i] = 2 ** (-(now - t) / 86400)
    xr = np.zeros(NI)
    f = 1.0
    for r in recent(h, 3):
        xr[r] += f
        f *= 0.5
    ts, its = m["ev"][:, 0], m["ev"][:, 1]
    lo, hi = np.searchsorted(ts, now - 7 * 86400), np.searchsorted(ts, now)
    return {
        "seq": seqscore(m["T"], h),
        "ease": hv @ m["B"],
        "emb": cos_col(m["emb"], hv),
        "pop": np.log1p(m["pop"]),
        "slit": xr @ m["W"],
        "lowrank": seqscore(m["L"], h),
        "seqemb": cos_col(m["semb"], hv),
        "tpop": np.log1p(np.bincount(its[lo:hi], minlength=NI).astype(float)),
        "new": -np.log1p(np.maximum(now - rel, 0) / 86400),
        "knn": knn(m, h),
    }


data = {}
for name, S, tg, _ in SPLITS:
    m = fit(S)
    rows = []
    for u in U:
        h = S[u]
        seen = [x[0] for x in h]
        mask = np.ones(NI, bool)
        mask[seen] = False
        Z = {}
        for k, c in columns(m, h, tg[u][1]).items():
            mu, sd = c[mask].mean(), c[mask].std()
            Z[k] = (c - mu) / sd if sd > 0 else c * 0
        rows.append((tg[u][0], seen, Z))
    data[name] = rows
    print(name, "alone:", {k: round(np.mean([ndcg(Z[k], t, s) for t, s, Z in rows]), 4) for k in rows[0][2]},
          flush=True)


def score(rows, w):
    return np.mean([ndcg(sum(w[k] * Z[k] for k in w if w[k]), t, s) for t, s, Z in rows])


for extra in [[], ["slit"], ["lowrank"], ["seqemb"], ["tpop"], ["new"], ["knn"]]:
    keys = ["seq", "ease", "emb", "pop"] + extra
    w = {k: float(k == "seq") for k in keys}
    best = score(data["valid"], w)
    for _ in range(2):
        for k in keys[1:]:
            for v in [0, 0.1, 0.25, 0.5, 0.75, 1, 1.5]:
                ww = dict(w, **{k: v})
                s = score(data["valid"], ww)
                if s > best + 1e-9:
                    best, w = s, ww
    print(f"base + {extra}: weights {w}; validation {best:.4f}; test {score(data['test'], w):.4f}", flush=True)
