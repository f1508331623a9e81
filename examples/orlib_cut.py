"""Writes a cut of an OR-Library capa/capb/capc instance: its 100 sites and
the first N customers, with one capacity for every site or, with --uneven R,
capacities of (total demand / R) x 1.05 times a factor drawn in [0.7, 1.3]
(random.Random(R), so the same file every time). Used in BENCHMARKS.md to
compare phase 1's own branch and bound with HiGHS's MIP at mid size.

python3 examples/orlib_cut.py bench/orlib/capa.txt 100 --capacity 1200 > /tmp/mid_100_1200.txt
python3 examples/orlib_cut.py bench/orlib/capb.txt 120 --uneven 12 > /tmp/mid_capb_12.txt
"""

import random
import sys


def main():
    src, n = sys.argv[1], int(sys.argv[2])
    mode, value = sys.argv[3], int(sys.argv[4])
    it = iter(open(src).read().split())
    m, total = int(next(it)), int(next(it))
    if n > total:
        sys.exit(f"{src} has {total} customers, fewer than {n}")
    fixed = []
    for _ in range(m):
        next(it)  # the capacity (the word `capacity` in capa/capb/capc)
        fixed.append(next(it))
    customers = []
    for _ in range(n):
        demand = next(it)
        customers.append((demand, [next(it) for _ in range(m)]))
    if mode == "--capacity":
        caps = [value] * m
    elif mode == "--uneven":
        cap = int(sum(float(d) for d, _ in customers) / value * 1.05)
        rnd = random.Random(value)
        caps = [int(cap * rnd.uniform(0.7, 1.3)) for _ in range(m)]
    else:
        sys.exit("third argument: --capacity C or --uneven R")
    out = [f"{m} {n}"]
    out += [f"{c} {f}" for c, f in zip(caps, fixed)]
    for d, costs in customers:
        out += [d, " ".join(costs)]
    print("\n".join(out))


if __name__ == "__main__":
    main()
