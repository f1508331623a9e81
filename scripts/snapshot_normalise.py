#!/usr/bin/env python3
"""Copies an output tree with its timing fields removed (scripts/snapshot.sh).

JSON (files, and stdout that is JSON or JSON lines): keys naming seconds,
dates or the solver's run time are dropped. CSV: columns whose header names
seconds are dropped. Text: durations ("1.23 s", "45 ms") become "<t> s"; a report's run date
(its <time> element) becomes "<time>".
Parquet: each column's values, read with pyarrow when it is installed,
timing columns dropped; without pyarrow the file's bytes are compared.
The temporary folder's path becomes <RAW> everywhere.
"""
import csv, io, json, os, re, sys

TIMING_KEY = re.compile(r"(seconds|elapsed|_s$|^time$|date|started|finished_at|created)", re.I)
DURATION = re.compile(r"\b\d+(\.\d+)?(e-?\d+)? ?(s|ms|min)\b")
# The report's run date (its title block): the time the folder was written.
RUN_DATE = re.compile(r"<time datetime=\"[^\"]*\">[^<]*</time>")


def strip(v):
    if isinstance(v, dict):
        return {k: strip(x) for k, x in v.items() if not TIMING_KEY.search(k)}
    if isinstance(v, list):
        return [strip(x) for x in v]
    return v


def norm_json_text(text):
    try:
        return json.dumps(strip(json.loads(text)), indent=1, sort_keys=False) + "\n"
    except ValueError:
        pass
    lines = text.splitlines()
    try:
        return "".join(json.dumps(strip(json.loads(l))) + "\n" for l in lines if l.strip())
    except ValueError:
        return None


def norm_csv(text):
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return text
    keep = [i for i, h in enumerate(rows[0]) if not TIMING_KEY.search(h)]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    for r in rows:
        w.writerow([r[i] for i in keep if i < len(r)])
    return buf.getvalue()


def norm_parquet(path):
    try:
        import pyarrow.parquet as pq
    except ImportError:
        return None
    t = pq.read_table(path)
    cols = {n: t.column(n).to_pylist() for n in t.column_names if not TIMING_KEY.search(n)}
    return json.dumps(cols, indent=0, default=str) + "\n"


def main(raw, out):
    for root, _, files in os.walk(raw):
        for f in sorted(files):
            src = os.path.join(root, f)
            rel = os.path.relpath(src, raw)
            dst = os.path.join(out, rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            if f.endswith(".parquet"):
                text = norm_parquet(src)
                if text is None:
                    with open(src, "rb") as a, open(dst, "wb") as b:
                        b.write(a.read())
                    continue
                dst += ".json"
            else:
                data = open(src, "rb").read()
                try:
                    text = data.decode("utf-8")
                except UnicodeDecodeError:
                    with open(dst, "wb") as b:
                        b.write(data)
                    continue
                text = text.replace(raw, "<RAW>")
                if f.endswith((".json", ".geojson", ".stdout")):
                    text = norm_json_text(text) or DURATION.sub("<t> s", text)
                elif f.endswith(".csv"):
                    text = norm_csv(text)
                else:
                    text = DURATION.sub("<t> s", RUN_DATE.sub("<time>", text))
            with open(dst, "w", encoding="utf-8") as b:
                b.write(text)


if __name__ == "__main__":
    main(os.path.realpath(sys.argv[1]), sys.argv[2])
