"""Why tuning on validation cannot find what helps on test on MovieLens-100K (docs/quality.md).

python3 ties.py [RUN QRELS]   # optional: split a written TREC run's NDCG@10 by tied / untied users
"""
import collections
import sys

import numpy as np

from proto import NI, SPLITS, U, ndcg, seqs, seqscore, tied, top_k, trans



def sym(S, window=3, gd=0.5):
    """The transitions between events of the same timestamp (their order is the item-id tie rule)."""
    T = np.zeros((NI, NI))
    for s in S.values():
        for k, (x, tx) in enumerate(s):
            w = 1.0
            for y, ty in s[k + 1 : k + 1 + window]:
                if y != x and ty == tx:
                    T[x, y] += w
                w *= gd
    return T


pop = np.zeros(NI)
for s in seqs.values():
    for i, _ in s:
        pop[i] += 1
print("target position from the end: mean item id, mean popularity, share tied with the event before")
for k in [1, 2, 3, 4]:
    ids = np.array([seqs[u][-k][0] + 1 for u in U])
    print(f"  {k}: id {ids.mean():.0f}  popularity {pop[ids - 1].mean():.1f}  tied {tied(k).mean():.3f}")
t1 = tied(1)
for name, sel in [("tied", t1), ("untied", ~t1)]:
    us = [u for u, x in zip(U, sel) if x]
    a = np.array([seqs[u][-1][0] for u in us])
    b = np.array([seqs[u][-2][0] for u in us])
    print(f"  test users {name} ({len(us)}): test target id {a.mean() + 1:.0f} pop {pop[a].mean():.1f}; "
          f"validation target id {b.mean() + 1:.0f} pop {pop[b].mean():.1f}")

print("\nseq variants, NDCG@10 (all / target tied / untied)")
for name, S, tg, off in SPLITS:
    Tf, p = trans(S, topk=NI)
    idf = np.log((len(U) + 1) / (p + 1))
    out = Tf.sum(1, keepdims=True)
    tri = collections.defaultdict(collections.Counter)
    for u in U:
        it = [x[0] for x in S[u]]
        for k in range(2, len(it)):
            tri[(it[k - 2], it[k - 1])][it[k]] += 1
    V = {
        "counts (tuned)": top_k(Tf),
        "out-degree alpha 1": trans(S, alpha=1.0)[0],
        "smoothed out-degree T/(out+50)": top_k(Tf / (out + 50)),
        "target popularity beta 0.3": trans(S, beta=0.3)[0],
        "target idf^0.5": top_k(Tf * idf[None, :] ** 0.5),
        "same-second pairs both ways": top_k(Tf + sym(S).T),
        "same-second pairs both ways 0.25": top_k(Tf + 0.25 * sym(S).T),
        "same-second pairs both ways 0.5": top_k(Tf + 0.5 * sym(S).T),
    }
    per_user = {}
    tmask = tied(off)
    for k, T in list(V.items()) + [("+ second order 0.25", None)]:
        v = []
        for u in U:
            h = S[u]
            if T is None:
                b = seqscore(V["counts (tuned)"], h)
                t2 = np.zeros(NI)
                if len(h) >= 2:
                    for c, n in tri.get((h[-2][0], h[-1][0]), {}).items():
                        t2[c] = n
                sc = b + 0.25 * t2 * b.max()
            else:
                sc = seqscore(T, h)
            v.append(ndcg(sc, tg[u][0], [x[0] for x in h]))
        v = np.array(v)
        per_user[k] = v
        print(f"  {name:5} {k:32} {v.mean():.4f} / {v[tmask].mean():.4f} / {v[~tmask].mean():.4f}", flush=True)
    d = (per_user["out-degree alpha 1"] - per_user["counts (tuned)"])[~tmask]
    print(f"  {name:5} alpha 1 minus tuned on untied users: {d.mean():+.4f} (paired s.e. {d.std() / np.sqrt(len(d)):.4f})")

if len(sys.argv) == 3:
    run = collections.defaultdict(dict)
    for line in open(sys.argv[1]):
        u, _, i, r, _, _ = line.split()
        run[int(u)][int(i)] = int(r)
    nd = {}
    for line in open(sys.argv[2]):
        u, _, i, _ = line.split()
        r = run[int(u)].get(int(i))
        nd[int(u)] = 1 / np.log2(r + 1) if r and r <= 10 else 0.0
    a = np.array([nd[u] for u in U])
    print(f"\n{sys.argv[1]}: NDCG@10 {a.mean():.4f}; tied {a[t1].mean():.4f}; untied {a[~t1].mean():.4f}")
