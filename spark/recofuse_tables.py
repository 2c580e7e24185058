#!/usr/bin/env python3
"""recofuse's heavy tables on Apache Spark (issue 19).

    spark-submit spark/recofuse_tables.py --input LOG [--items CATALOG] --out DIR [--config FILE] [--set K=V]

Reads an interaction log (CSV/TSV with or without a header, JSON Lines, Parquet: the columns are found
by the same names as `recofuse train` finds them, and a headerless table is read as user, item, then
rating and time told apart by their values) and writes, under DIR, one Parquet table per directory:

    popularity/    item, first_seen, events, count, trend
    item_cf/       item, neighbour, weight, rank          (top-K co-occurrence neighbours)
    transitions/   item, next, weight, rank               (top-K sequential transitions)
    item_factors/  item, factors                          (MLlib ALS, implicit feedback)
    prototypes/    prototype, size, item, weight          (MLlib k-means over ALS user factors,
                                                           no prototype for fewer than min_size users)
    items/         item, title, categories, brand, price, in_stock   (with --items)
    config.json    the configuration used, under the Rust trainer's names (config_json/part-*.txt
                   when DIR is a URL such as s3:// or hdfs://)

`recofuse pack --tables DIR --out BUNDLE` turns them into a bundle. The formulas are the Rust trainer's
(train/src/fit.rs); see docs/scale.md for what differs (the per-user event cap of the item-CF self-join,
ALS factors instead of eigenvectors, k-means over factors instead of spherical k-means over items).

Production properties: every table is overwritten as a whole (reruns are idempotent), written as
several part files, nothing that grows with the data is collected on the driver (only the first 200
lines of a text log for format detection and the k-means centres, k x rank numbers), and every random
step is seeded (the same input, configuration and partition count should give the same tables).
"""

import argparse
import json
import math
import os
import sys
import time

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

# Configuration under the Rust trainer's names (train/src/tune.rs `Tuned::table_config`; the report of
# `recofuse train --report` carries them under `table_config`). Defaults are the Rust defaults.
DEFAULTS = {
    "itemcf.alpha": 0.5,
    "itemcf.shrink": 10.0,
    "itemcf.gamma": 0.0,
    "itemcf.top_k": 100,
    "itemcf.bm25_k1": None,  # BM25 weighting when both k1 and b are set, binary otherwise
    "itemcf.bm25_b": None,
    "itemcf.max_user_events": 1000,  # Spark only: the self-join keeps each user's most recent N events
    "seq.window": 3,
    "seq.gap_decay": 0.5,
    "seq.backward": 0.0,
    "seq.alpha": 0.5,
    "seq.beta": 0.0,
    "seq.top_k": 100,
    "popularity.recent": 5,
    "embedding.dim": 64,  # ALS rank
    "embedding.als_reg": 0.05,
    "embedding.als_alpha": 20.0,
    "embedding.als_iters": 10,
    "embedding.seed": 7,
    "usercf.clusters": 100,
    "usercf.min_size": 10,
    "usercf.top_items": 200,
    "usercf.iters": 10,
    "usercf.seed": 7,
    "holdout": 0,  # drop the last N events of users with N + 2 or more (`recofuse eval --tables`: 1)
}

# Column names, as train/src/data.rs `role_of` recognises them.
ROLES = {
    "user": ["user", "user_id", "userid", "uid", "visitor", "visitorid", "visitor_id", "customer",
             "customer_id", "session", "session_id", "reviewerid", "reviewer_id"],
    "item": ["item", "item_id", "itemid", "iid", "product", "product_id", "productid", "sku", "movie",
             "movie_id", "movieid", "asin", "article_id"],
    "order": ["seq_pos", "pos", "position", "order", "seq", "rank", "index"],
    "time": ["timestamp", "ts", "time", "datetime", "date", "event_time", "unix_time", "unixreviewtime",
             "created_at"],
    "rating": ["rating", "ratings", "score", "stars", "overall", "label"],
}

ML_GENRES = ["unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary",
             "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller",
             "War", "Western"]


def role_of(name):
    n = name.strip().strip('"').split(":")[0].lower().replace(" ", "_").replace("-", "_")
    for role, names in ROLES.items():
        if n in names:
            return role
    return None


def is_number(s):
    try:
        float(s)
        return True
    except ValueError:
        return False


def parse_config(args):
    cfg = dict(DEFAULTS)
    if args.config:
        with open(args.config, encoding="utf-8") as f:
            doc = json.load(f)
        # A `recofuse train --report` file carries the tuned values under table_config.
        doc = doc.get("table_config", doc)
        for k, v in doc.items():
            if k not in cfg:
                sys.exit(f"recofuse_tables: unknown configuration name {k!r} in {args.config}")
            cfg[k] = v
    for kv in args.set or []:
        if "=" not in kv:
            sys.exit(f"recofuse_tables: --set wants KEY=VALUE, got {kv!r}")
        k, v = kv.split("=", 1)
        if k not in cfg:
            sys.exit(f"recofuse_tables: unknown configuration name {k!r}")
        cfg[k] = None if v in ("", "none", "null") else json.loads(v) if is_number(v) else v
    return cfg


def detect_format(spark, path, forced):
    if forced:
        return forced
    low = path.lower().rstrip("/")
    if low.endswith(".parquet") or os.path.isdir(path):
        return "parquet"
    first = spark.read.text(path).limit(1).collect()
    line = first[0][0] if first else ""
    if line.lstrip().startswith("{"):
        return "jsonl"
    return "table"


def read_log(spark, path, fmt):
    """The log as (user, item, ts, fo): ids as strings, ts an order key (None without a time column),
    fo the row's position in the input (file order, the tie-break of equal times)."""
    if fmt in ("parquet", "jsonl"):
        df = spark.read.parquet(path) if fmt == "parquet" else spark.read.json(path)
        roles = {}
        for c in df.columns:
            r = role_of(c)
            if r and (r not in roles or (r == "time" and "order" in roles)):
                roles[r] = c
        if "user" not in roles or "item" not in roles:
            sys.exit(f"recofuse_tables: {path}: no user or item column among {df.columns}")
        tcol = roles.get("time") or roles.get("order")
        ts = None
        if tcol:
            t = F.col(tcol)
            dtype = dict(df.dtypes)[tcol]
            ts = t.cast("double") if dtype not in ("string", "timestamp", "date") else \
                F.coalesce(t.cast("double"), F.unix_timestamp(F.to_timestamp(t)).cast("double"))
        out = df.select(F.col(roles["user"]).cast("string").alias("user"),
                        F.col(roles["item"]).cast("string").alias("item"),
                        (ts if ts is not None else F.lit(None).cast("double")).alias("ts"))
        return out.withColumn("fo", F.monotonically_increasing_id())
    # CSV/TSV: delimiter and header detected from the first lines, as train/src/data.rs does.
    sample = [r[0] for r in spark.read.text(path).limit(200).collect() if r[0].strip()]
    if not sample:
        sys.exit(f"recofuse_tables: {path}: the file is empty")
    first = sample[0]
    delim = "\t" if "\t" in first else "," if "," in first else "|" if "|" in first else " "
    fields = [f.strip() for f in first.split(delim)]
    named = sum(1 for f in fields if role_of(f))
    header = named >= 2 or (named >= 1 and not any(is_number(f) for f in fields))
    raw = spark.read.option("sep", delim).option("header", header).option("inferSchema", False).csv(path)
    raw = raw.withColumn("fo", F.monotonically_increasing_id())
    cols = raw.columns[:-1]
    ucol = icol = tcol = None
    if header:
        for c in cols:
            r = role_of(c)
            if r == "user" and ucol is None:
                ucol = c
            elif r == "item" and icol is None:
                icol = c
            elif r == "time" and (tcol is None or tcol[1]):
                tcol = (c, False)
            elif r == "order" and tcol is None:
                tcol = (c, True)
        if ucol is None or icol is None:
            sys.exit(f"recofuse_tables: {path}: header {first!r} names no user column or no item column")
    else:
        ucol, icol = cols[0], cols[1]
        rows = [[f.strip() for f in line.split(delim)] for line in sample]
        rating = None
        for c in range(2, len(cols)):
            vals = [r[c] for r in rows if len(r) > c]
            if vals and all(is_number(v) for v in vals):
                mx = max(float(v) for v in vals)
                if mx > 1e5 and tcol is None:
                    tcol = (cols[c], False)
                elif mx <= 10 and rating is None:
                    rating = c
                elif tcol is None:
                    tcol = (cols[c], True)
    ts = F.lit(None).cast("double")
    if tcol:
        t = F.col(tcol[0])
        ts = t.cast("double") if tcol[1] else \
            F.coalesce(t.cast("double"), F.unix_timestamp(F.to_timestamp(t)).cast("double"))
    return raw.select(F.trim(F.col(ucol)).alias("user"), F.trim(F.col(icol)).alias("item"), ts.alias("ts"), "fo")


def read_catalog(spark, path):
    """The catalog as (item, title, categories, brand, price, in_stock)."""
    low = path.lower()
    if low.endswith(".parquet") or os.path.isdir(path):
        df = spark.read.parquet(path)
    elif spark.read.text(path).limit(1).collect()[0][0].lstrip().startswith("{"):
        df = spark.read.json(path)
    else:
        first = spark.read.text(path).limit(1).collect()[0][0]
        if first.count("|") == 23:  # MovieLens u.item: id|title|release|video|url|19 genre flags
            raw = spark.read.option("sep", "|").option("encoding", "ISO-8859-1").csv(path)
            flags = raw.columns[5:24]
            cats = F.filter(F.array(*[F.when(F.col(c) == "1", F.lit(g)) for c, g in zip(flags, ML_GENRES)]),
                            lambda x: x.isNotNull())
            return raw.select(F.col(raw.columns[0]).alias("item"), F.col(raw.columns[1]).alias("title"),
                              cats.alias("categories"), F.lit(None).cast("string").alias("brand"),
                              F.lit(None).cast("double").alias("price"), F.lit(None).cast("boolean").alias("in_stock"))
        sep = "\t" if "\t" in first else ","
        df = spark.read.option("sep", sep).option("header", True).csv(path)
    names = {c.split(":")[0].lower(): c for c in df.columns}

    def pick(cands):
        return next((names[c] for c in cands if c in names), None)

    idc = pick(["item_id", "id", "item", "sku", "asin", "product_id", "itemid", "movie_id"])
    if idc is None:
        sys.exit(f"recofuse_tables: {path}: no item id column among {df.columns}")
    title = pick(["title", "name", "movie_title", "product_name"])
    brand = pick(["brand", "manufacturer", "vendor"])
    cat = pick(["categories", "category", "genres", "genre", "class", "attributes", "attribute_ids", "tags"])
    price = pick(["price"])
    stock = pick(["in_stock", "instock", "available", "availability"])

    def col_or_null(c, t):
        return F.col(c).cast(t) if c else F.lit(None).cast(t)

    if cat is None:
        cats = F.array().cast("array<string>")
    elif dict(df.dtypes)[cat].startswith("array"):
        cats = F.col(cat).cast("array<string>")
    else:
        cats = F.filter(F.transform(F.split(F.col(cat), "[|;,]"), F.trim), lambda x: x != "")
    return df.select(F.col(idc).cast("string").alias("item"), col_or_null(title, "string").alias("title"),
                     cats.alias("categories"), col_or_null(brand, "string").alias("brand"),
                     F.regexp_replace(col_or_null(price, "string"), "[^0-9.]", "").cast("double").alias("price"),
                     col_or_null(stock, "boolean").alias("in_stock"))


def top_k(df, key, order_cols, k):
    """The k first rows per `key` by `order_cols`, with their 1-based rank."""
    w = Window.partitionBy(key).orderBy(*order_cols)
    return df.withColumn("rank", F.row_number().over(w)).where(F.col("rank") <= k)


def sequences(log, holdout):
    """Each user's events ordered as the Rust trainer orders them (time, then file order), with their
    position `pos` (0-based), the user's length `len`, and `back` (0 = the last event)."""
    w = Window.partitionBy("user").orderBy(F.col("ts").asc_nulls_first(), "fo")
    s = log.withColumn("pos", F.row_number().over(w) - 1)
    s = s.withColumn("len", F.count(F.lit(1)).over(Window.partitionBy("user")))
    if holdout > 0:
        # As train/src/split.rs: only users with at least holdout + 2 events lose their last ones.
        held = F.col("len") >= holdout + 2
        s = s.where(~held | (F.col("pos") < F.col("len") - holdout)) \
            .withColumn("len", F.when(held, F.col("len") - holdout).otherwise(F.col("len")))
    return s.withColumn("back", F.col("len") - 1 - F.col("pos"))


def popularity(seq, recent):
    return seq.groupBy("item").agg(
        F.min("fo").alias("first_seen"),
        F.count(F.lit(1)).alias("events"),
        F.log1p(F.count(F.lit(1)).cast("double")).alias("count"),
        F.log1p(F.sum(F.when(F.col("back") < recent, 1).otherwise(0)).cast("double")).alias("trend"),
    )


def item_cf(seq, pop, cfg, n_users, avg_len):
    """train/src/fit.rs `item_cf`: sim(a, b) = co(a, b) / (|a|^(2 alpha) |b|^(2 (1 - alpha)) + shrink),
    co summed over users and position pairs of w_a w_b d^-gamma (d < 4096), top-K per a by weight,
    ties by the item seen first in the log."""
    k1, b = cfg["itemcf.bm25_k1"], cfg["itemcf.bm25_b"]
    alpha, shrink, gamma = float(cfg["itemcf.alpha"]), float(cfg["itemcf.shrink"]), float(cfg["itemcf.gamma"])
    e = seq.join(pop.select("item", "events", "first_seen"), "item")
    if k1 is not None and b is not None:
        idf = F.greatest(F.log(F.lit(float(n_users)) / F.greatest(F.col("events"), F.lit(1))), F.lit(0.0)) + 1e-3
        ln = 1.0 - b + b * F.col("len") / max(avg_len, 1e-6)
        e = e.withColumn("w", idf * (k1 + 1.0) / (k1 * ln + 1.0))
    else:
        e = e.withColumn("w", F.lit(1.0))
    norms = e.groupBy("item").agg(F.sqrt(F.sum(F.col("w") * F.col("w"))).alias("norm"))
    # The cap: a user's most recent `max_user_events` events take part in the self-join (its cost is
    # the sum over users of len^2; the norms above still count every event).
    cap = int(cfg["itemcf.max_user_events"])
    # Items travel through the join as their `first_seen` (a unique long, cheaper than the id string).
    capped = e.where(F.col("back") < cap).select("user", F.col("first_seen").alias("k"), "pos", "w")
    a = capped.alias("a")
    c = capped.alias("c")
    pairs = a.join(c, (F.col("a.user") == F.col("c.user")) & (F.col("a.k") != F.col("c.k")))
    d = F.abs(F.col("c.pos") - F.col("a.pos"))
    prox = F.when(d >= 4096, 0.0).otherwise(F.pow(d.cast("double"), -gamma)) if gamma != 0.0 else \
        F.when(d >= 4096, 0.0).otherwise(1.0)
    co = pairs.select(F.col("a.k").alias("k"), F.col("c.k").alias("nfs"),
                      (F.col("a.w") * F.col("c.w") * prox).alias("x")) \
        .groupBy("k", "nfs").agg(F.sum("x").alias("co"))
    names = pop.select("item", "first_seen")
    na = norms.join(names, "item").select("item", F.col("first_seen").alias("k"),
                                          F.pow("norm", 2.0 * alpha).alias("na"))
    nb = norms.join(names, "item").select(F.col("item").alias("neighbour"), F.col("first_seen").alias("nfs"),
                                          F.pow("norm", 2.0 * (1.0 - alpha)).alias("nb"))
    sim = co.join(na, "k").join(nb, "nfs") \
        .withColumn("den", F.col("na") * F.col("nb") + shrink) \
        .where((F.col("co") > 0) & (F.col("den") > 0)) \
        .select("item", "neighbour", "nfs", (F.col("co") / F.col("den")).alias("weight"))
    out = top_k(sim, "item", [F.col("weight").desc(), F.col("nfs").asc()], int(cfg["itemcf.top_k"]))
    return out.select("item", "neighbour", "weight", "rank")


def transitions(seq, pop, cfg):
    """train/src/fit.rs `transitions`: T[a][b] += gap_decay^(d-1) for b at distance d <= window after a
    (and T[b][a] += backward * gap_decay^(d-1)), T[a][b] /= out(a)^alpha * pop(b)^beta, top-K. Pairs come
    from `lead` over each user's sequence: no self-join."""
    window = max(int(cfg["seq.window"]), 1)
    decay, backward = float(cfg["seq.gap_decay"]), float(cfg["seq.backward"])
    w = Window.partitionBy("user").orderBy("pos")
    s = seq.select("user", "item", "pos")
    for dd in range(1, window + 1):
        s = s.withColumn(f"n{dd}", F.lead("item", dd).over(w))
    parts = []
    for dd in range(1, window + 1):
        x = s.where(F.col(f"n{dd}").isNotNull() & (F.col(f"n{dd}") != F.col("item")))
        wt = decay ** (dd - 1)
        parts.append(x.select("item", F.col(f"n{dd}").alias("next"), F.lit(wt).alias("x")))
        if backward > 0:
            parts.append(x.select(F.col(f"n{dd}").alias("item"), F.col("item").alias("next"),
                                  F.lit(wt * backward).alias("x")))
    allp = parts[0]
    for p in parts[1:]:
        allp = allp.unionByName(p)
    t = allp.groupBy("item", "next").agg(F.sum("x").alias("t"))
    out_deg = t.groupBy("item").agg(F.sum("t").alias("out"))
    pb = pop.select(F.col("item").alias("next"), F.greatest(F.col("events"), F.lit(1)).alias("pb"),
                    F.col("first_seen").alias("nfs"))
    alpha, beta = float(cfg["seq.alpha"]), float(cfg["seq.beta"])
    r = t.join(out_deg, "item").join(pb, "next").withColumn(
        "weight", F.col("t") / (F.when(F.col("out") > 0, F.pow("out", alpha)).otherwise(1.0) * F.pow("pb", beta)))
    out = top_k(r.where(F.col("weight") != 0), "item", [F.col("weight").desc(), F.col("nfs").asc()],
                int(cfg["seq.top_k"]))
    return out.select("item", "next", "weight", "rank")


def dense_ids(df, col, name):
    """A dense 0-based integer id per distinct value of `col` (zipWithIndex: no collect)."""
    distinct = df.select(col).distinct().orderBy(col)
    rdd = distinct.rdd.zipWithIndex().map(lambda r: (r[0][0], int(r[1])))
    return rdd.toDF([col, name])


def als_and_prototypes(spark, seq, cfg, parts):
    from pyspark.ml.clustering import KMeans
    from pyspark.ml.feature import VectorAssembler
    from pyspark.ml.linalg import Vectors, VectorUDT
    from pyspark.ml.recommendation import ALS

    ui = seq.select("user", "item").distinct()
    uid = dense_ids(ui, "user", "uid")
    iid = dense_ids(ui, "item", "iid")
    ratings = ui.join(uid, "user").join(iid, "item").select("uid", "iid", F.lit(1.0).alias("r"))
    als = ALS(rank=int(cfg["embedding.dim"]), maxIter=int(cfg["embedding.als_iters"]),
              regParam=float(cfg["embedding.als_reg"]), alpha=float(cfg["embedding.als_alpha"]),
              implicitPrefs=True, userCol="uid", itemCol="iid", ratingCol="r", seed=int(cfg["embedding.seed"]),
              coldStartStrategy="drop", nonnegative=False)
    model = als.fit(ratings)
    item_factors = model.itemFactors.join(iid, F.col("id") == F.col("iid")) \
        .select("item", F.col("features").cast("array<float>").alias("factors"))

    # Prototypes: k-means over the users' factors, seeded; clusters under min_size are dissolved into
    # their members' nearest remaining cluster, and a cluster still under it gives no prototype.
    min_size = max(int(cfg["usercf.min_size"]), 1)
    n_users = uid.count()
    k = max(1, min(int(cfg["usercf.clusters"]), n_users // min_size))
    to_vec = F.udf(lambda a: Vectors.dense(a), VectorUDT())
    # k-means|| samples its initial centres per partition with a seeded generator, so it is seeded only if
    # every partition holds the same rows in the same order on every run: a join's output order depends
    # on which shuffle block arrives first (measured: two runs gave other cluster sizes), so the users are
    # hash-partitioned into a fixed number of partitions and sorted within each.
    uf = model.userFactors.join(uid, F.col("id") == F.col("uid")).select("user", to_vec("features").alias("v")) \
        .repartition(parts, "user").sortWithinPartitions("user").persist()
    km = KMeans(k=k, seed=int(cfg["usercf.seed"]), maxIter=int(cfg["usercf.iters"]), featuresCol="v",
                predictionCol="c").fit(uf)
    assigned = km.transform(uf)
    sizes = assigned.groupBy("c").count()
    # The centres and cluster sizes are k numbers each (bounded by the configuration, not the data).
    big = {r["c"] for r in sizes.where(F.col("count") >= min_size).collect()}
    centres = [list(map(float, c)) for c in km.clusterCenters()]

    def nearest_big(v, c):
        if c in big or not big:
            return int(c) if big else 0
        best, bd = c, math.inf
        for j in big:
            d = sum((a - b) ** 2 for a, b in zip(v, centres[j]))
            if d < bd:
                best, bd = j, d
        return int(best)

    reassign = F.udf(nearest_big, T.IntegerType())
    assigned = assigned.select("user", reassign("v", "c").alias("prototype"))
    size = assigned.groupBy("prototype").agg(F.count(F.lit(1)).alias("size")).where(F.col("size") >= min_size)
    # Preferences as train/src/fit.rs `prototypes`: the mean of members' idf-weighted unit item vectors.
    nu = float(n_users)
    ipop = ui.groupBy("item").agg(F.count(F.lit(1)).alias("p"))
    uw = ui.join(ipop, "item").withColumn("w", F.greatest(F.log(F.lit(nu) / F.col("p")), F.lit(0.0)) + 0.1)
    uw = uw.withColumn("w", F.col("w") / F.sqrt(F.sum(F.col("w") * F.col("w")).over(Window.partitionBy("user"))))
    prefs = uw.join(assigned, "user").groupBy("prototype", "item").agg(F.sum("w").alias("s")) \
        .join(size, "prototype").select("prototype", "size", "item", (F.col("s") / F.col("size")).alias("weight"))
    prefs = top_k(prefs, "prototype", [F.col("weight").desc(), F.col("item").asc()], int(cfg["usercf.top_items"]))
    return item_factors, prefs.select("prototype", "size", "item", "weight"), k


SECONDS = {}


def write(df, out, name, parts, sort_cols):
    """Writes one table as `parts` Parquet files, overwriting the previous run's (idempotent), and
    records the wall-clock seconds it took (the cost model of docs/scale.md)."""
    t0 = time.time()
    df.repartition(parts, sort_cols[0]).sortWithinPartitions(*sort_cols) \
        .write.mode("overwrite").parquet(os.path.join(out, name))
    SECONDS[name] = round(time.time() - t0, 2)
    print(f"recofuse_tables: {name}: {SECONDS[name]} s", file=sys.stderr)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--input", required=True, help="interaction log: CSV/TSV, JSON Lines or Parquet")
    ap.add_argument("--items", help="item catalog: JSON Lines, CSV/TSV with a header, Parquet, MovieLens u.item")
    ap.add_argument("--out", required=True, help="output directory (each table a subdirectory)")
    ap.add_argument("--format", choices=["table", "jsonl", "parquet"], help="override format detection")
    ap.add_argument("--config", help="JSON of configuration values (or a `recofuse train --report` file)")
    ap.add_argument("--set", action="append", metavar="KEY=VALUE", help="one configuration value")
    ap.add_argument("--partitions", type=int, default=8, help="Parquet files per table (default 8)")
    ap.add_argument("--master", help="Spark master when not run by spark-submit (e.g. local[2])")
    ap.add_argument("--skip", action="append", default=[],
                    help="tables not to compute: item_cf, transitions, factors (ALS and prototypes)")
    args = ap.parse_args(argv)
    cfg = parse_config(args)

    b = SparkSession.builder.appName("recofuse_tables")
    if args.master:
        b = b.master(args.master)
    spark = b.config("spark.sql.shuffle.partitions", str(max(args.partitions, 2))) \
        .config("spark.sql.session.timeZone", "UTC").getOrCreate()
    spark.sparkContext.setLogLevel("WARN")

    log = read_log(spark, args.input, detect_format(spark, args.input, args.format))
    log = log.where(F.col("user").isNotNull() & (F.col("user") != "") & F.col("item").isNotNull()
                    & (F.col("item") != ""))
    seq = sequences(log, int(cfg["holdout"])).persist()
    t0 = time.time()
    stats = seq.agg(F.countDistinct("user").alias("u"), F.count(F.lit(1)).alias("n")).first()
    n_users, n_events = int(stats["u"]), int(stats["n"])
    SECONDS["read_and_order"] = round(time.time() - t0, 2)
    if n_events == 0:
        sys.exit(f"recofuse_tables: {args.input}: no interactions could be read")
    pop = popularity(seq, int(cfg["popularity.recent"])).persist()
    p = args.partitions
    write(pop, args.out, "popularity", p, ["item"])
    if "item_cf" not in args.skip:
        write(item_cf(seq, pop, cfg, n_users, n_events / n_users), args.out, "item_cf", p, ["item", "rank"])
    if "transitions" not in args.skip:
        write(transitions(seq, pop, cfg), args.out, "transitions", p, ["item", "rank"])
    used = dict(cfg)
    if "factors" not in args.skip:
        t0 = time.time()
        factors, protos, k = als_and_prototypes(spark, seq, cfg, p)
        SECONDS["als_and_kmeans_fit"] = round(time.time() - t0, 2)
        write(factors, args.out, "item_factors", p, ["item"])
        write(protos, args.out, "prototypes", p, ["prototype", "item"])
        used["usercf.clusters_started"] = k
    if args.items:
        write(read_catalog(spark, args.items), args.out, "items", p, ["item"])
    used.update({"users": n_users, "events": n_events, "input": args.input, "items_input": args.items,
                 "spark": spark.version, "master": spark.sparkContext.master, "partitions": p,
                 "seconds": SECONDS})
    text = json.dumps(used, indent=2, sort_keys=True)
    if "://" in args.out:
        # A cluster's output (s3://, hdfs://...): through Spark, as config_json/part-*.txt, which
        # `recofuse pack` reads when config.json is absent.
        spark.createDataFrame([(text,)], "value string").coalesce(1).write.mode("overwrite") \
            .text(os.path.join(args.out, "config_json"))
    else:
        with open(os.path.join(args.out, "config.json"), "w", encoding="utf-8") as f:
            f.write(text)
    spark.stop()


if __name__ == "__main__":
    main()
