"""Further `seq` variants on MovieLens-100K (docs/quality.md): a finer grid around the tuned
parameters, per-user length normalisation, time-decayed training pairs, rating weights.
Prints NDCG@10 on validation (fit on train) and test (fit on train + validation), all users."""
import itertools
import os

import numpy as np

from proto import DATA, NI, SPLITS, U, ndcg, recent, seqscore, top_k, trans

ratings = {(int(u), int(i) - 1): int(r) for u, i, r, _ in np.loadtxt(os.path.join(DATA, "u.data"), dtype=np.int64)}


def weighted(S, ulen=0.0, half=None, rating=None):
    """Transitions (window 3, gap decay 0.5, top 100); each pair weighted by len(user)^-ulen, by
    2^(-age/half) days before the last training event, and by rating(source)."""
    T = np.zeros((NI, NI))
    tmax = max(t for s in S.values() for _, t in s)
    for u, s in S.items():
        it = [x[0] for x in s]
        uw = len(it) ** -ulen if it else 1.0
        for k, x in enumerate(it):
            w = uw * (2 ** (-(tmax - s[k][1]) / 86400 / half) if half else 1.0)
            w *= rating(ratings[(u, x)]) if rating else 1.0
            for y in it[k + 1 : k + 4]:
                if y != x:
                    T[x, y] += w
                w *= 0.5
    return top_k(T)


def ev(S, tg, T, n=3, dec=0.5, hist=None):
    out = []
    for u in U:
        h = S[u]
        if hist:
            sc = np.zeros(NI)
            f = 1.0
            for r in recent(h, n):
                sc += f * hist(ratings[(u, r)]) * T[r]
                f *= dec
        else:
            sc = seqscore(T, h, n, dec)
        out.append(ndcg(sc, tg[u][0], [x[0] for x in h]))
    return np.mean(out)


res = {}
for name, S, tg, _ in SPLITS:
    for W, gd in itertools.product([2, 3, 4], [0.35, 0.5, 0.65]):
        Tf = trans(S, window=W, gd=gd, topk=NI)[0]
        for k in [100, 300]:
            T = top_k(Tf, k)
            for n, dec in itertools.product([2, 3, 4], [0.35, 0.5, 0.65]):
                res.setdefault(("grid", W, gd, k, n, dec), {})[name] = ev(S, tg, T, n, dec)
    for g in [0.25, 0.5, 1.0]:
        res.setdefault(("user length ^-", g), {})[name] = ev(S, tg, weighted(S, ulen=g))
    for h in [90, 180]:
        res.setdefault(("pair age half-life days", h), {})[name] = ev(S, tg, weighted(S, half=h))
    src = weighted(S, rating=lambda r: 1.0 if r >= 3 else 0.3)
    res.setdefault(("source rating >= 3 else 0.3",), {})[name] = ev(S, tg, src)
    T = trans(S)[0]
    res.setdefault(("history rating >= 4 else 0.5",), {})[name] = ev(
        S, tg, T, hist=lambda r: 1.0 if r >= 4 else 0.5
    )
grid = sorted((k for k in res if k[0] == "grid"), key=lambda k: -res[k]["valid"])
print("grid (window, gap decay, top k, recent, step decay), best 5 on validation of", len(grid))
for k in grid[:5]:
    print(f"  {k[1:]}: validation {res[k]['valid']:.4f} test {res[k]['test']:.4f}")
va = np.array([res[k]["valid"] for k in grid])
te = np.array([res[k]["test"] for k in grid])
print(f"  correlation validation/test over the grid {np.corrcoef(va, te)[0, 1]:.2f}; best test anywhere {te.max():.4f}")
for k, v in res.items():
    if k[0] != "grid":
        print(f"{k}: validation {v['valid']:.4f} test {v['test']:.4f}")
