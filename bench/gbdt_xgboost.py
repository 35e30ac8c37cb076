#!/usr/bin/python3
"""The baseline for `npm run bench -- gbdt`: XGBoost's `hist` on one thread, on the data the bench
wrote. Run by bench/gbdt.ts with Debian's python3-xgboost:

    /usr/bin/python3 bench/gbdt_xgboost.py DATA_DIR

DATA_DIR holds meta.json (rows, cols, train_rows, params, rounds), x.f32 (row-major float32,
NaN = missing) and y.f32 (labels). Writes one JSON object to stdout: train_seconds (DMatrix
construction and training), auc (test ROC AUC, ties averaged) and the XGBoost version.
"""

import json
import os
import sys
import time

import numpy as np
import xgboost as xgb


def roc_auc(score, y):
    order = np.argsort(score, kind="mergesort")
    s = score[order]
    labels = y[order]
    # average ranks over ties (1-based)
    _, start, counts = np.unique(s, return_index=True, return_counts=True)
    ranks = np.repeat(start + (counts + 1) / 2.0, counts)
    pos = labels.sum()
    neg = len(labels) - pos
    return float((ranks[labels == 1].sum() - pos * (pos + 1) / 2) / (pos * neg))


def main():
    folder = sys.argv[1]
    with open(os.path.join(folder, "meta.json")) as f:
        meta = json.load(f)
    rows, cols, ntrain = meta["rows"], meta["cols"], meta["train_rows"]
    x = np.fromfile(os.path.join(folder, "x.f32"), dtype=np.float32).reshape(rows, cols)
    y = np.fromfile(os.path.join(folder, "y.f32"), dtype=np.float32)
    params = dict(meta["params"], tree_method="hist", grow_policy="depthwise", nthread=1)
    t0 = time.perf_counter()
    dtrain = xgb.DMatrix(x[:ntrain], label=y[:ntrain], missing=np.nan, nthread=1)
    booster = xgb.train(params, dtrain, num_boost_round=meta["rounds"])
    seconds = time.perf_counter() - t0
    dtest = xgb.DMatrix(x[ntrain:], missing=np.nan, nthread=1)
    pred = booster.predict(dtest)
    json.dump(
        {"train_seconds": seconds, "auc": roc_auc(pred, y[ntrain:]), "version": xgb.__version__},
        sys.stdout,
    )


main()
