"""The 37 small OR-Library capacitated warehouse location instances, solved
side by side in one run by dcsite (the `orlib` example: the same model builder
and solver as `dcsite solve`) and by PuLP + CBC on the textbook strong model
(y_i binary, x_ij the share of customer j served by i, x_ij <= y_i).

Run through examples/orlib_vs_pulp.sh, which makes the throwaway venv with
PuLP from PyPI (CBC comes inside the PuLP wheel). Prints a Markdown table and
the ratio of dcsite's whole-process time to PuLP + CBC's (model building in
Python included: that is what a PuLP user waits for).

python examples/orlib_vs_pulp.py ORLIB_DIR ORLIB_BINARY [--plan-only]

With --plan-only dcsite stops at the checked optimal plan, as CBC does;
without it, it also computes and checks shadow prices and the cost of every
unbuilt site, as `dcsite solve` does.
"""

import json
import subprocess
import sys
import time
from pathlib import Path

import pulp


def parse_cap(path):
    tok = Path(path).read_text().split()
    it = iter(tok)
    m, n = int(next(it)), int(next(it))
    cap, fixed = [], []
    for _ in range(m):
        cap.append(float(next(it)))
        fixed.append(float(next(it)))
    demand, cost = [], []
    for _ in range(n):
        demand.append(float(next(it)))
        cost.append([float(next(it)) for _ in range(m)])
    return cap, fixed, demand, cost


def solve_pulp(path):
    cap, fixed, demand, cost = parse_cap(path)
    m, n = len(cap), len(demand)
    prob = pulp.LpProblem("cflp", pulp.LpMinimize)
    y = [pulp.LpVariable(f"y{i}", cat="Binary") for i in range(m)]
    x = [[pulp.LpVariable(f"x{i}_{j}", 0, 1) for j in range(n)] for i in range(m)]
    prob += pulp.lpSum(fixed[i] * y[i] for i in range(m)) + pulp.lpSum(
        cost[j][i] * x[i][j] for i in range(m) for j in range(n)
    )
    for j in range(n):
        prob += pulp.lpSum(x[i][j] for i in range(m)) == 1
    for i in range(m):
        prob += pulp.lpSum(demand[j] * x[i][j] for j in range(n)) <= cap[i] * y[i]
        for j in range(n):
            prob += x[i][j] <= y[i]
    prob.solve(pulp.PULP_CBC_CMD(msg=0, gapRel=1e-9, threads=1))
    return pulp.LpStatus[prob.status], pulp.value(prob.objective)


def main():
    orlib, binary, extra = Path(sys.argv[1]), sys.argv[2], sys.argv[3:]
    optima = {}
    for line in (orlib / "optima.csv").read_text().splitlines()[1:]:
        name, value = line.split(",")
        if (orlib / f"{name}.txt").exists():
            optima[name] = float(value)
    names = [n for n in optima if not n.startswith("cap") or n[3:].isdigit()]
    # dcsite: one process per instance, as a user runs it.
    rows = {}
    t_dcsite = 0.0
    for name in names:
        t = time.perf_counter()
        out = subprocess.run(
            [binary, str(orlib / f"{name}.txt"), *extra],
            capture_output=True,
            text=True,
            check=True,
        )
        dt = time.perf_counter() - t
        t_dcsite += dt
        rows[name] = [json.loads(out.stdout)["objective"], dt]
    t_pulp = 0.0
    for name in names:
        t = time.perf_counter()
        status, obj = solve_pulp(orlib / f"{name}.txt")
        dt = time.perf_counter() - t
        t_pulp += dt
        rows[name] += [status, obj, dt]
    print("| instance | optimum | dcsite | dcsite s | PuLP+CBC | CBC status | PuLP+CBC s |")
    print("|---|---|---|---|---|---|---|")
    worst = 0.0
    for name in names:
        d, dt, status, p, pt = rows[name]
        opt = optima[name]
        worst = max(worst, abs(d - opt) / opt)
        print(f"| {name} | {opt:.3f} | {d:.3f} | {dt:.3f} | {p:.3f} | {status} | {pt:.3f} |")
    print(
        f"\n{len(names)} instances: dcsite {t_dcsite:.2f} s, PuLP+CBC {t_pulp:.2f} s, "
        f"ratio {t_dcsite / t_pulp:.3f}; dcsite's worst relative error {worst:.1e}"
    )


if __name__ == "__main__":
    main()
