"""statsforecast's AutoETS, AutoTheta and SeasonalNaive on the corpus, scored
exactly as benches/corpus.rs scores forecast-mesh: the last horizon held out
(14 days, 13 weeks, 18 months, 8 quarters), MASE scaled by the in-sample
seasonal naive, sMAPE and 95% interval coverage over observed points, and
the seconds each fit and forecast took (numba compiled beforehand, so that
compilation is not timed). Missing values are filled by linear
interpolation, as the forecaster fills them.

    python statsforecast_corpus.py CORPUS_DIR OUT_CSV
"""

import csv
import sys
import time
import warnings

import numpy as np
import pandas as pd
from statsforecast.models import AutoETS, AutoTheta, SeasonalNaive

warnings.filterwarnings("ignore")
HORIZON = {"daily": 14, "weekly": 13, "monthly": 18, "quarterly": 8, "yearly": 6}
SEASON = {"daily": 7, "weekly": 52, "monthly": 12, "quarterly": 4, "yearly": 1}
LEVEL = 95


def models(m):
    return {
        "AutoETS": AutoETS(season_length=m),
        "AutoTheta": AutoTheta(season_length=m),
        "SeasonalNaive": SeasonalNaive(season_length=m),
    }


def main(corpus, out):
    sources = pd.read_csv(f"{corpus}/SOURCES.csv")
    # Compile numba's functions once before anything is timed.
    warm = np.sin(np.arange(60) / 2.0) + 10.0
    for model in models(4).values():
        model.fit(warm).predict(h=4, level=[LEVEL])
    rows = []
    for source in sources.itertuples():
        frame = pd.read_csv(f"{corpus}/{source.frequency}/{source.name}.csv")
        observed = frame["value"].notna().to_numpy()
        y = frame["value"].interpolate().to_numpy(dtype=float)
        h, m = HORIZON[source.frequency], SEASON[source.frequency]
        train, test, scored = y[:-h], y[-h:], observed[-h:]
        mm = m if len(train) > 2 * m else 1
        scale = np.mean(np.abs(train[mm:] - train[:-mm]))
        scale = scale if scale > 0 else 1.0
        for name, model in models(m).items():
            started = time.perf_counter()
            forecast = model.fit(train).predict(h=h, level=[LEVEL])
            seconds = time.perf_counter() - started
            p = forecast["mean"]
            lo, hi = forecast[f"lo-{LEVEL}"], forecast[f"hi-{LEVEL}"]
            a, p, lo, hi = test[scored], p[scored], lo[scored], hi[scored]
            denominator = np.abs(a) + np.abs(p)
            smape = np.mean(np.where(denominator == 0, 0.0, 2 * np.abs(a - p) / np.where(denominator == 0, 1, denominator)))
            rows.append(
                [source.name, name, np.mean(np.abs(a - p)) / scale, smape,
                 np.mean((lo <= a) & (a <= hi)), seconds]
            )
    with open(out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["series", "model", "mase", "smape", "coverage", "seconds"])
        w.writerows(rows)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
