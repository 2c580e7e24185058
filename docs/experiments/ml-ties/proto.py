"""MovieLens-100K leave-one-out split and the count-transitions model (`seq`) in numpy.

A re-implementation for analysis only (docs/quality.md, "Why validation and test disagree"): events
ordered by timestamp, ties by item id (the rule of docs/design.md before the stable-sort change), last = test, second-to-last = validation; the
transitions of train/src/fit.rs with the parameters tuned on MovieLens (window 3, gap decay 0.5,
alpha 0, beta 0, top 100) scored over the 3 most recent distinct items with step decay 0.5.
Gives validation 0.1115 / test 0.0930 NDCG@10 for `seq` (the trainer: 0.1114 / 0.0920).
"""
import collections
import os

import numpy as np

DATA = os.environ.get(
    "ML_DATA", os.path.join(os.path.dirname(__file__), "../../../../shared/data/movielens-100k")
)
NI = 1682

_a = np.loadtxt(os.path.join(DATA, "u.data"), dtype=np.int64)
_by_user = collections.defaultdict(list)
for _u, _i, _r, _t in _a:
    _by_user[int(_u)].append((int(_t), int(_i)))
seqs = {u: [(i - 1, t) for t, i in sorted(l)] for u, l in _by_user.items()}
U = sorted(seqs)
train = {u: s[:-2] for u, s in seqs.items()}
trval = {u: s[:-1] for u, s in seqs.items()}
val = {u: s[-2] for u, s in seqs.items()}
test = {u: s[-1] for u, s in seqs.items()}
# (name, training sequences, targets, offset of the target from the end)
SPLITS = [("valid", train, val, 2), ("test", trval, test, 1)]


def tied(off):
    """Per user (in U order): does the target share its timestamp with the event before it?"""
    return np.array([seqs[u][-off][1] == seqs[u][-off - 1][1] for u in U])


def ndcg(sc, tgt, seen):
    s = sc.astype(np.float64).copy()
    s[list(seen)] = -np.inf
    st = s[tgt]
    r = int((s > st).sum() + ((s == st) & (np.arange(len(s)) < tgt)).sum())
    return 1 / np.log2(r + 2) if r < 10 else 0.0


def top_k(T, k=100):
    T = T.copy()
    idx = np.argsort(-T, axis=1, kind="stable")[:, k:]
    np.put_along_axis(T, idx, 0, axis=1)
    return T


def trans(S, window=3, gd=0.5, alpha=0.0, beta=0.0, topk=100):
    T = np.zeros((NI, NI))
    pop = np.zeros(NI)
    for s in S.values():
        it = [x[0] for x in s]
        for k, x in enumerate(it):
            pop[x] += 1
            w = 1.0
            for y in it[k + 1 : k + 1 + window]:
                if y != x:
                    T[x, y] += w
                w *= gd
    out = T.sum(1)
    T = T / np.where(out > 0, out**alpha, 1.0)[:, None] / np.maximum(pop, 1)[None, :] ** beta
    return (top_k(T, topk) if topk < NI else T), pop


def recent(h, n):
    out = []
    for i, _ in reversed(h):
        if i not in out:
            out.append(i)
        if len(out) == n:
            break
    return out


def seqscore(T, h, n=3, dec=0.5):
    sc = np.zeros(NI)
    f = 1.0
    for r in recent(h, n):
        sc += f * T[r]
        f *= dec
    return sc
