"""An independent extensive form of `dcsite hedge`, written in PuLP.

Reads a scenario TOML with [[outcomes]] and its CSV tables itself (tomllib,
csv), builds the two-stage model from the formulation in docs/MODELLING.md
("The formulation", "Choices where the formulation is silent", "Phased
deliveries") with one copy of the model per outcome, the site decisions
(open[s,k], mega[s]) shared by every outcome, and solves it as one MIP with
whole servers (PuLP's bundled CBC):

    min  sum_k p_k cost_k + lambda * (eta + sum_k p_k u_k / (1 - alpha))
    s.t. u_k >= cost_k - eta, u_k >= 0   (only when lambda > 0)

It reads nothing dcsite writes. Only the features the test fixture
(tests/fixtures/hedge_pulp) uses are implemented; any other scenario key or
table feature stops the script with an error, so that a new key in the
fixture cannot pass unmodelled.

Usage: python hedge_pulp.py SCENARIO.toml [--lambda L] [--alpha A] [--gap G]
Prints JSON: objective_cny (CBC's), objective_from_costs_cny (the same
objective recomputed from the per-outcome costs, CVaR by its definition),
expected_cost_cny, cvar_cny, costs_cny (per outcome, in order), first_stage
([site_id, cooling_id] pairs built), mega_sites, status.
"""

import argparse
import csv
import json
import math
import os
import sys
import tomllib

import pulp

CNY_PER_UNIT = 1e6  # objective in millions of CNY, as dcsite's
HOURS_PER_YEAR = 8760.0
DAYS_PER_MONTH = 30.0

PARAM_DEFAULTS = {
    "horizon_years": 5,
    "discount_rate": 0.08,
    "utilisation": 0.8,
    "inference_share": 0.0,
    "mega_cards": 0.0,
    "mega_count": 0,
    "mega_accelerators": ["h200"],
    "min_site_cards": 0.0,
    "domestic_share": 0.0,
    "domestic_share_basis": "cards",
    "deadline_months": 120.0,
    "fibre_us_per_km": 4.9,
    "route_factor": 1.5,
    "overhead_ms": 2.0,
    "tce_per_mwh": 0.1229,
    "network_cny_per_card_ms_year": 0.0,
    "campus_phase_months": 3.0,
    "install_days": 30.0,
    "start_year": None,
}

SUPPORTED_TOP = {
    "name", "description", "extends", "subsidy_scenario", "tables", "targets",
    "parameters", "deliveries", "set", "sites", "risk", "outcomes",
}


def fail(msg):
    sys.exit(f"hedge_pulp.py: {msg}")


# ---------------------------------------------------------------- scenario


def merge(base, over):
    """Tables key by key, anything else (arrays too) replaced."""
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            merge(base[k], v)
        else:
            base[k] = v


def load_toml(path):
    """The scenario with `extends` resolved; table paths absolute."""
    path = os.path.abspath(path)
    with open(path, "rb") as f:
        doc = tomllib.load(f)
    here = os.path.dirname(path)
    for k, v in doc.get("tables", {}).items():
        doc["tables"][k] = os.path.normpath(os.path.join(here, v))
    parent = doc.get("extends")
    if parent:
        base = load_toml(os.path.join(here, parent))
        merge(base, doc)
        doc = base
    return doc


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def real(cell):
    return float(cell)


def opt_real(cell):
    return float(cell) if cell is not None and cell.strip() != "" else None


def instance(sc):
    """The tables of scenario `sc` (a merged TOML dict) with its what-ifs."""
    unknown = set(sc) - SUPPORTED_TOP
    if unknown:
        fail(f"scenario keys not modelled here: {sorted(unknown)}")
    for k in ("overrides", "bounds", "subsidies"):
        if k in sc:
            fail(f"[{k}] not modelled here")
    t = sc["tables"]
    if t.get("clusters"):
        fail("tables.clusters not modelled here")
    tables = {
        name: read_csv(t[name])
        for name in ("regions", "sites", "electricity_prices", "subsidies",
                     "demand", "accelerators", "cooling")
    }
    keycol = {"regions": "region_id", "sites": "site_id",
              "electricity_prices": "province", "demand": "node_id",
              "accelerators": "accel_id", "cooling": "cooling_id"}
    for site, w in sc.get("sites", {}).items():
        sc.setdefault("set", {})[f"sites.{site}.status"] = w["status"]
    for cell, v in sc.get("set", {}).items():
        table, row, column = cell.split(".")
        rows = [r for r in tables[table] if r[keycol[table]] == row]
        if len(rows) != 1 or column not in rows[0]:
            fail(f"[set] {cell}: no such cell")
        rows[0][column] = str(v)

    prm = dict(PARAM_DEFAULTS)
    prm.update(sc.get("parameters", {}))
    for k in ("campus_phase_mw", "max_sites_per_city"):
        if prm.get(k) is not None:
            fail(f"parameters.{k} not modelled here")

    regions = [{
        "id": r["region_id"],
        "power": real(r["power_quota_mw"]),
        "energy": real(r["energy_quota_tce"]),
        "pue_cap": real(r["pue_cap"]),
        "green": real(r["green_share"]),
    } for r in tables["regions"]]
    price = {r["province"]: real(r["price_cny_per_kwh"])
             for r in tables["electricity_prices"]}
    sites = []
    for r in tables["sites"]:
        s = {
            "id": r["site_id"], "region": r["region_id"],
            "price": price[r["province"]],
            "lat": real(r["lat"]), "lon": real(r["lon"]),
            "temp": real(r["mean_temp_c"]), "max_it_mw": real(r["max_it_mw"]),
            "fixed": real(r["fixed_cost_cny"]),
            "grid_lead": real(r["grid_lead_months"]), "status": r["status"],
            "ready_it_mw": opt_real(r.get("ready_it_mw")),
        }
        if r.get("crs"):
            fail("sites.crs not modelled here")
        sites.append(s)
    accels = []
    for r in tables["accelerators"]:
        accels.append({
            "id": r["accel_id"], "domestic": r["origin"] == "domestic",
            "cps": int(r["cards_per_server"]), "kw": real(r["server_kw"]),
            "rack_kw": real(r["rack_kw"]),
            "min_spr": int(r["min_servers_per_rack"]) if r.get("min_servers_per_rack") else None,
            "price": real(r["price_cny_per_card"]),
            "server_cost": real(r["server_cost_cny"]),
            "levy": real(r["levy_share"]), "perf": real(r["perf_h200_eq"]),
        })
    cooling = [{
        "id": r["cooling_id"], "pue_base": real(r["pue_base"]),
        "pue_per_deg": real(r["pue_per_deg_c"]), "ref": real(r["ref_temp_c"]),
        "capex_mw": real(r["capex_cny_per_mw_it"]), "lead": real(r["lead_months"]),
        "max_rack_kw": real(r["max_rack_kw"]),
        "capex_rack": real(r.get("capex_cny_per_rack") or 0),
        "opex_mw": real(r["opex_cny_per_mw_it_year"]),
    } for r in tables["cooling"]]
    demand = [{
        "id": r["node_id"], "lat": real(r["lat"]), "lon": real(r["lon"]),
        "weight": real(r["weight"]), "cards": opt_real(r.get("cards")),
        "max_rtt": real(r["max_rtt_ms"]),
    } for r in tables["demand"]]
    scen = sc.get("subsidy_scenario", "none")
    subsidies = []
    for r in tables["subsidies"]:
        if r["scenario"] != scen:
            continue
        subsidies.append({
            "id": r["programme_id"], "region": r["region_id"] or None,
            "site": r["site_id"] or None, "kind": r["kind"],
            "value": real(r["value"]), "cap": opt_real(r["cap_cny"]),
            "applies_to": r["applies_to"],
        })
    targets = {}
    for a, spec in sc.get("targets", {}).items():
        if "cards" in spec:
            targets[a] = (spec["cards"], spec["cards"])
        else:
            targets[a] = (spec.get("min", 0.0), spec.get("max"))
    deliveries = []
    for d in sc.get("deliveries", []):
        if "cards" in d:
            lo = hi = float(d["cards"])
        else:
            lo, hi = float(d.get("min_cards", 0.0)), float(d["max_cards"])
        deliveries.append((float(d["month"]), d["accelerator"], lo, hi))
    return {
        "regions": regions, "sites": sites, "accels": accels,
        "cooling": cooling, "demand": demand, "subsidies": subsidies,
        "targets": targets, "deliveries": deliveries, "prm": prm,
    }


# ---------------------------------------------------------------- derived


def round_half_away(x):
    return math.floor(x + 0.5) if x >= 0 else -math.floor(-x + 0.5)


def dense_spr(a):
    return max(1, int(round_half_away(a["rack_kw"] / a["kw"])))


def spr_within(a, max_rack_kw):
    """Densest servers per rack whose rack fits the cooling, or None."""
    dense = dense_spr(a)
    low = min(max(a["min_spr"] if a["min_spr"] is not None else dense, 1), dense)
    for n in range(dense, low - 1, -1):
        kw = a["rack_kw"] if n == dense else a["rack_kw"] * n / dense
        if kw <= max_rack_kw:
            return n
    return None


def vincenty_km(lat1, lon1, lat2, lon2):
    """WGS 84 geodesic distance (Vincenty's inverse), km."""
    a, f = 6378137.0, 1 / 298.257223563
    b = (1 - f) * a
    L = math.radians(lon2 - lon1)
    U1 = math.atan((1 - f) * math.tan(math.radians(lat1)))
    U2 = math.atan((1 - f) * math.tan(math.radians(lat2)))
    sinU1, cosU1, sinU2, cosU2 = math.sin(U1), math.cos(U1), math.sin(U2), math.cos(U2)
    lam = L
    for _ in range(200):
        sinl, cosl = math.sin(lam), math.cos(lam)
        sin_sigma = math.hypot(cosU2 * sinl, cosU1 * sinU2 - sinU1 * cosU2 * cosl)
        if sin_sigma == 0:
            return 0.0
        cos_sigma = sinU1 * sinU2 + cosU1 * cosU2 * cosl
        sigma = math.atan2(sin_sigma, cos_sigma)
        sin_alpha = cosU1 * cosU2 * sinl / sin_sigma
        cos2_alpha = 1 - sin_alpha ** 2
        cos2sm = cos_sigma - 2 * sinU1 * sinU2 / cos2_alpha if cos2_alpha else 0.0
        C = f / 16 * cos2_alpha * (4 + f * (4 - 3 * cos2_alpha))
        prev = lam
        lam = L + (1 - C) * f * sin_alpha * (
            sigma + C * sin_sigma * (cos2sm + C * cos_sigma * (-1 + 2 * cos2sm ** 2)))
        if abs(lam - prev) < 1e-13:
            break
    u2 = cos2_alpha * (a * a - b * b) / (b * b)
    A = 1 + u2 / 16384 * (4096 + u2 * (-768 + u2 * (320 - 175 * u2)))
    B = u2 / 1024 * (256 + u2 * (-128 + u2 * (74 - 47 * u2)))
    ds = B * sin_sigma * (cos2sm + B / 4 * (cos_sigma * (-1 + 2 * cos2sm ** 2)
                                            - B / 6 * cos2sm * (-3 + 4 * sin_sigma ** 2) * (-3 + 4 * cos2sm ** 2)))
    return b * A * (sigma - ds) / 1000.0


class Prepared:
    """Options, unit costs, city-site pairs and delivery periods of one instance."""

    def __init__(self, inst):
        self.inst = inst
        prm = inst["prm"]
        self.prm = prm
        i, T = prm["discount_rate"], prm["horizon_years"]
        self.af = T if abs(i) < 1e-12 else (1 - (1 + i) ** -T) / i
        self.region = {r["id"]: r for r in inst["regions"]}
        # Options (site, cooling) that can ever be feasible.
        self.options = []
        for si, s in enumerate(inst["sites"]):
            if s["status"] == "excluded" or s["max_it_mw"] <= 0:
                continue
            reg = self.region[s["region"]]
            for ki, k in enumerate(inst["cooling"]):
                pue = k["pue_base"] + k["pue_per_deg"] * max(0.0, s["temp"] - k["ref"])
                lead = max(s["grid_lead"], k["lead"])
                accs = [(ai, spr_within(a, k["max_rack_kw"]))
                        for ai, a in enumerate(inst["accels"])]
                accs = [(ai, n) for ai, n in accs if n is not None]
                if pue > reg["pue_cap"] + 1e-9 or lead > prm["deadline_months"] + 1e-9 or not accs:
                    continue
                self.options.append({
                    "site": si, "cooling": ki, "pue": pue, "lead": lead,
                    "ready_it_mw": s["max_it_mw"],
                    "accels": [ai for ai, _ in accs],
                    "spr": {ai: n for ai, n in accs},
                })
        self.sites_with_options = {o["site"] for o in self.options}
        # Demand sizes and pairs within the RTT budget.
        total_w = sum(d["weight"] for d in inst["demand"])
        self.demand = []
        for d in inst["demand"]:
            if d["cards"] is not None:
                self.demand.append(("cards", d["cards"]))
            elif total_w > 0:
                self.demand.append(("share", prm["inference_share"] * d["weight"] / total_w))
            else:
                self.demand.append(("share", 0.0))
        self.pairs = []
        for di, d in enumerate(inst["demand"]):
            if self.demand[di][1] <= 0:
                continue
            for si, s in enumerate(inst["sites"]):
                if si not in self.sites_with_options:
                    continue
                km = vincenty_km(d["lat"], d["lon"], s["lat"], s["lon"])
                rtt = 2 * km * prm["route_factor"] * prm["fibre_us_per_km"] / 1000 + prm["overhead_ms"]
                if rtt <= d["max_rtt"] + 1e-9:
                    self.pairs.append({
                        "city": di, "site": si, "rtt": rtt,
                        "cost": self.af * prm["network_cny_per_card_ms_year"] * rtt,
                    })
        self.periods = self.make_periods()

    # Unit figures of one server of accelerator a under option o.
    def max_servers(self, o, a):
        return math.floor(1000 * o["ready_it_mw"] / self.inst["accels"][a]["kw"] + 1e-9)

    def kwh(self, o, a):
        return self.inst["accels"][a]["kw"] * self.prm["utilisation"] * o["pue"] * HOURS_PER_YEAR

    def facility_capex(self, o, a):
        acc, k = self.inst["accels"][a], self.inst["cooling"][o["cooling"]]
        extra_racks = 1 / o["spr"][a] - 1 / dense_spr(acc)
        return k["capex_mw"] * acc["kw"] / 1000 + k["capex_rack"] * extra_racks

    def server_capex(self, a):
        acc = self.inst["accels"][a]
        return acc["cps"] * acc["price"] * (1 + acc["levy"]) + acc["server_cost"]

    def npc(self, o, a):
        site = self.inst["sites"][o["site"]]
        k = self.inst["cooling"][o["cooling"]]
        opex = self.kwh(o, a) * site["price"] + k["opex_mw"] * self.inst["accels"][a]["kw"] / 1000
        return self.server_capex(a) + self.facility_capex(o, a) + self.af * opex

    def tce(self, o, a):
        green = self.region[self.inst["sites"][o["site"]]["region"]]["green"]
        return self.kwh(o, a) / 1000 * self.prm["tce_per_mwh"] * (1 - green)

    def opening_cost(self, si):
        s = self.inst["sites"][si]
        return 0.0 if s["status"] == "existing" else s["fixed"]

    def in_service_mw(self, si):
        s = self.inst["sites"][si]
        if s["ready_it_mw"] is not None:
            return min(s["ready_it_mw"], s["max_it_mw"])
        return s["max_it_mw"] if s["status"] == "existing" else 0.0

    def covers(self, j, si):
        s = self.inst["sites"][si]
        if j["site"]:
            return s["id"] == j["site"]
        if j["region"]:
            return s["region"] == j["region"]
        return False

    def subsidy_base(self, j, o, a):
        acc = self.inst["accels"][a]
        if not self.covers(j, o["site"]):
            return 0.0
        if j["applies_to"] == "domestic" and not acc["domestic"]:
            return 0.0
        if j["applies_to"] == "imported" and acc["domestic"]:
            return 0.0
        kind = j["kind"]
        if kind == "electricity_cny_per_kwh":
            return self.kwh(o, a)
        if kind == "electricity_share":
            return self.kwh(o, a) * self.inst["sites"][o["site"]]["price"]
        if kind == "capex_share":
            return self.server_capex(a) + self.facility_capex(o, a)
        if kind == "per_card_cny":
            return acc["cps"]
        fail(f"subsidy kind {kind} not modelled here")

    def subsidy_fixed_base(self, j, si):
        if j["kind"] == "capex_share" and j["applies_to"] == "all" and self.covers(j, si):
            return self.opening_cost(si)
        return 0.0

    def npv_weight(self, j):
        return self.af if j["kind"] in ("electricity_cny_per_kwh", "electricity_share") else 1.0

    def share_coef(self, a):
        acc = self.inst["accels"][a]
        unit = acc["cps"] if self.prm["domestic_share_basis"] == "cards" else acc["cps"] * acc["perf"]
        return ((1.0 if acc["domestic"] else 0.0) - self.prm["domestic_share"]) * unit

    def make_periods(self):
        """Delivery periods: months, discount, per option the IT ready, per
        accelerator the (min, max) cards of each period (None: free)."""
        dl = self.inst["deliveries"]
        if not dl:
            return None
        prm = self.prm
        install = prm["install_days"] / DAYS_PER_MONTH
        months = sorted({m for m, _, _, _ in dl})
        free = any(not any(d[1] == a["id"] for d in dl) for a in self.inst["accels"])
        if free and months[-1] + install < prm["deadline_months"] - 1e-9:
            months.append(prm["deadline_months"] - install)
        by = [m + install for m in months]
        disc = [(1 + prm["discount_rate"]) ** (-m / 12) for m in months]
        delivered = []
        for a in self.inst["accels"]:
            mine = [d for d in dl if d[1] == a["id"]]
            if not mine:
                delivered.append(None)
                continue
            per = []
            for m in months:
                at = [d for d in mine if d[0] == m]
                per.append((sum(d[2] for d in at), sum(d[3] for d in at)) if at else None)
            delivered.append(per)
        ready = []
        for o in self.options:
            ins = self.in_service_mw(o["site"])
            row = []
            for t in by:
                new = self.inst["sites"][o["site"]]["max_it_mw"] if t + 1e-9 >= o["lead"] else 0.0
                row.append(min(max(new, ins), o["ready_it_mw"]))
            ready.append(row)
        return {"months": months, "discount": disc, "delivered": delivered, "ready": ready}


# ---------------------------------------------------------------- model


def build_outcome(prob, P, k, first, cat_servers):
    """Adds outcome k's variables and rows to `prob`; returns its cost
    expression (millions of CNY). `first` holds the shared open and mega
    variables, keyed by (site, cooling) and site."""
    inst, prm = P.inst, P.prm
    accs = inst["accels"]
    tag = f"k{k}"
    n = len(P.options)
    opens = []
    for o in P.options:
        key = (o["site"], o["cooling"])
        if key not in first["open"]:
            first["open"][key] = pulp.LpVariable(f"open_{o['site']}_{o['cooling']}", cat="Binary")
        opens.append(first["open"][key])
    servers = [{a: pulp.LpVariable(f"servers_{tag}_{oi}_{a}", 0, P.max_servers(o, a), cat=cat_servers)
                for a in o["accels"]} for oi, o in enumerate(P.options)]
    serve = [pulp.LpVariable(f"serve_{tag}_{pi}", 0) for pi in range(len(P.pairs))]
    mega_possible = prm["mega_count"] > 0 and prm["mega_cards"] > 0
    mega = {}
    for si in range(len(inst["sites"])):
        hosts = mega_possible and any(
            accs[a]["id"] in prm["mega_accelerators"]
            and P.max_servers(o, a) * accs[a]["cps"] >= prm["mega_cards"]
            for o in P.options if o["site"] == si for a in o["accels"])
        if hosts:
            if si not in first["mega"]:
                first["mega"][si] = pulp.LpVariable(f"mega_{si}", cat="Binary")
            mega[si] = first["mega"][si]
    subsidy = [pulp.LpVariable(f"subsidy_{tag}_{jn}", 0,
                               None if j["cap"] is None else max(j["cap"], 0) / CNY_PER_UNIT)
               for jn, j in enumerate(inst["subsidies"])]

    def all_servers(pred=lambda o: True):
        for oi, o in enumerate(P.options):
            if pred(o):
                for a in o["accels"]:
                    yield oi, o, a, servers[oi][a]

    # 1. One cooling per site.
    for si, s in enumerate(inst["sites"]):
        mine = [opens[oi] for oi, o in enumerate(P.options) if o["site"] == si]
        if s["status"] in ("existing", "required"):
            prob += pulp.lpSum(mine) == 1, f"one_cooling_{tag}_{si}"
        elif mine:
            prob += pulp.lpSum(mine) <= 1, f"one_cooling_{tag}_{si}"
    # 2. Site power, 3. minimum site size.
    for oi, o in enumerate(P.options):
        prob += (pulp.lpSum(accs[a]["kw"] / 1000 * servers[oi][a] for a in o["accels"])
                 <= o["ready_it_mw"] * opens[oi]), f"site_power_{tag}_{oi}"
        if prm["min_site_cards"] > 0:
            prob += (pulp.lpSum(accs[a]["cps"] * servers[oi][a] for a in o["accels"])
                     >= prm["min_site_cards"] * opens[oi]), f"site_min_{tag}_{oi}"
    # 4, 5. Region power and energy quotas (no water quota in the fixture).
    for ri, r in enumerate(inst["regions"]):
        pred = lambda o, r=r: inst["sites"][o["site"]]["region"] == r["id"]
        if not any(pred(o) for o in P.options):
            continue
        prob += (pulp.lpSum(accs[a]["kw"] * o["pue"] / 1000 * v for _, o, a, v in all_servers(pred))
                 <= r["power"]), f"power_quota_{tag}_{ri}"
        prob += (pulp.lpSum(P.tce(o, a) * v for _, o, a, v in all_servers(pred))
                 <= r["energy"]), f"energy_quota_{tag}_{ri}"
    # 6. Accelerator targets.
    for ai, acc in enumerate(accs):
        if acc["id"] not in inst["targets"]:
            continue
        lo, hi = inst["targets"][acc["id"]]
        e = pulp.lpSum(acc["cps"] * v for _, _, a, v in all_servers() if a == ai)
        if hi is not None and hi == lo:
            prob += e == lo, f"target_{tag}_{ai}"
        else:
            if lo > 0:
                prob += e >= lo, f"target_min_{tag}_{ai}"
            if hi is not None:
                prob += e <= hi, f"target_max_{tag}_{ai}"
    # 7. Dual track.
    if prm["domestic_share"] > 0:
        prob += pulp.lpSum(P.share_coef(a) * v for _, _, a, v in all_servers()) >= 0, f"dual_track_{tag}"
    # 8. Inference demand and site inference capacity.
    total = pulp.lpSum(accs[a]["cps"] * accs[a]["perf"] * v for _, _, a, v in all_servers())
    for di in range(len(inst["demand"])):
        kind, x = P.demand[di]
        e = pulp.lpSum(serve[pi] for pi, p in enumerate(P.pairs) if p["city"] == di)
        if kind == "cards" and x > 0:
            prob += e >= x, f"demand_{tag}_{di}"
        elif kind == "share" and x > 0:
            prob += e - x * total >= 0, f"demand_{tag}_{di}"
    mega_perf = min((a["perf"] for a in accs if a["id"] in prm["mega_accelerators"]), default=1.0)
    links = all(kind == "cards" for kind, _ in P.demand)
    for si in range(len(inst["sites"])):
        served = [pi for pi, p in enumerate(P.pairs) if p["site"] == si]
        if not served:
            continue
        cap = pulp.lpSum(accs[a]["cps"] * accs[a]["perf"] * v
                         for _, _, a, v in all_servers(lambda o: o["site"] == si))
        if si in mega:
            cap = cap - prm["mega_cards"] * mega_perf * mega[si]
        prob += pulp.lpSum(serve[pi] for pi in served) <= cap, f"inference_capacity_{tag}_{si}"
        if links:
            for pi in served:
                c = P.demand[P.pairs[pi]["city"]][1]
                prob += (serve[pi] <= c * pulp.lpSum(opens[oi] for oi, o in enumerate(P.options)
                                                     if o["site"] == si)), f"link_{tag}_{pi}"
    # 9. Mega training cluster.
    if mega_possible:
        for si, m in mega.items():
            prob += (pulp.lpSum(accs[a]["cps"] * v for _, _, a, v in all_servers(lambda o: o["site"] == si)
                                if accs[a]["id"] in prm["mega_accelerators"])
                     >= prm["mega_cards"] * m), f"mega_size_{tag}_{si}"
        prob += pulp.lpSum(mega.values()) >= prm["mega_count"], f"mega_count_{tag}"
    # 11. Subsidies: received <= rate x base, <= cap.
    for jn, j in enumerate(inst["subsidies"]):
        base = pulp.lpSum(j["value"] * P.subsidy_base(j, o, a) / CNY_PER_UNIT * v
                          for _, o, a, v in all_servers())
        fixed = pulp.lpSum(j["value"] * P.subsidy_fixed_base(j, o["site"]) / CNY_PER_UNIT * opens[oi]
                           for oi, o in enumerate(P.options))
        prob += subsidy[jn] <= base + fixed, f"subsidy_rate_{tag}_{jn}"
        if j["cap"] is not None:
            prob += subsidy[jn] <= j["cap"] / CNY_PER_UNIT, f"subsidy_cap_{tag}_{jn}"
    # 12. Phased deliveries.
    ph = P.periods
    if ph is not None:
        K = len(ph["months"])
        inst_v = []  # [option][a][k] -> var or None
        for oi, o in enumerate(P.options):
            per_a = {}
            for a in o["accels"]:
                per_k = []
                for kk in range(K):
                    allowed = ph["delivered"][a] is None or ph["delivered"][a][kk] is not None
                    if ph["ready"][oi][kk] <= 0 or not allowed:
                        per_k.append(None)
                    else:
                        per_k.append(pulp.LpVariable(f"installed_{tag}_{oi}_{a}_{kk}", 0,
                                                     P.max_servers(o, a), cat=cat_servers))
                per_a[a] = per_k
            inst_v.append(per_a)
        for oi, o in enumerate(P.options):
            for a in o["accels"]:
                prob += (servers[oi][a] == pulp.lpSum(v for v in inst_v[oi][a] if v is not None)
                         ), f"phase_total_{tag}_{oi}_{a}"

        def by(oi, kk, coef):
            return pulp.lpSum(coef(a) * v for a in P.options[oi]["accels"]
                              for v in inst_v[oi][a][:kk + 1] if v is not None)

        for oi, o in enumerate(P.options):
            for kk in range(K):
                mw = ph["ready"][oi][kk]
                if mw <= 0 or mw >= o["ready_it_mw"] - 1e-9:
                    continue
                prob += (by(oi, kk, lambda a: accs[a]["kw"] / 1000) <= mw * opens[oi]
                         ), f"period_ready_{tag}_{oi}_{kk}"
        for ai, acc in enumerate(accs):
            if ph["delivered"][ai] is None:
                continue
            for kk, rng in enumerate(ph["delivered"][ai]):
                if rng is None:
                    continue
                lo, hi = rng
                e = pulp.lpSum(acc["cps"] * inst_v[oi][ai][kk] for oi, o in enumerate(P.options)
                               if ai in o["accels"] and inst_v[oi][ai][kk] is not None)
                if lo == hi:
                    prob += e == lo, f"delivery_{tag}_{ai}_{kk}"
                else:
                    if lo > 0:
                        prob += e >= lo, f"delivery_min_{tag}_{ai}_{kk}"
                    prob += e <= hi, f"delivery_max_{tag}_{ai}_{kk}"
        if prm["domestic_share"] > 0:
            for kk in range(K - 1):
                prob += (pulp.lpSum(by(oi, kk, P.share_coef) for oi in range(n)) >= 0
                         ), f"period_dual_track_{tag}_{kk}"
    # Objective: net present cost, millions of CNY.
    if ph is None:
        cost = pulp.lpSum(P.npc(o, a) / CNY_PER_UNIT * v for _, o, a, v in all_servers())
    else:
        cost = pulp.lpSum(P.npc(o, a) / CNY_PER_UNIT * ph["discount"][kk] * v
                          for oi, o in enumerate(P.options) for a in o["accels"]
                          for kk, v in enumerate(inst_v[oi][a]) if v is not None)
    cost += pulp.lpSum(P.opening_cost(o["site"]) / CNY_PER_UNIT * opens[oi]
                       for oi, o in enumerate(P.options))
    cost += pulp.lpSum(p["cost"] / CNY_PER_UNIT * serve[pi] for pi, p in enumerate(P.pairs))
    cost -= pulp.lpSum(P.npv_weight(j) * subsidy[jn] for jn, j in enumerate(inst["subsidies"]))
    return cost


def cvar(costs, probabilities, alpha):
    """CVaR_alpha of a discrete distribution by its definition: the mean of
    the costliest 1 - alpha of the probability mass (the atom at the
    alpha-quantile split as needed)."""
    rest = 1 - alpha
    total = 0.0
    for c, p in sorted(zip(costs, probabilities), reverse=True):
        take = min(p, rest)
        total += take * c
        rest -= take
        if rest <= 1e-15:
            break
    return total / (1 - alpha)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario")
    ap.add_argument("--lambda", dest="lam", type=float)
    ap.add_argument("--alpha", type=float)
    ap.add_argument("--gap", type=float, default=1e-7)
    ap.add_argument("--time-limit", type=float, default=600)
    args = ap.parse_args()

    sc = load_toml(args.scenario)
    risk = sc.get("risk", {})
    alpha = args.alpha if args.alpha is not None else risk.get("alpha", 0.9)
    lam = args.lam if args.lam is not None else risk.get("lambda", 0.0)
    entries = sc.get("outcomes", [])
    if not entries:
        fail("no [[outcomes]]")
    base = {k: v for k, v in sc.items() if k != "outcomes"}
    outcomes = []
    for e in entries:
        over = {k: v for k, v in e.items() if k not in ("name", "probability")}
        merged = json.loads(json.dumps(base))
        merge(merged, over)
        outcomes.append((e["name"], float(e["probability"]), Prepared(instance(merged))))
    if abs(sum(p for _, p, _ in outcomes) - 1) > 1e-6:
        fail("probabilities do not sum to 1")

    prob = pulp.LpProblem("hedge_extensive_form", pulp.LpMinimize)
    first = {"open": {}, "mega": {}}
    costs = [build_outcome(prob, P, k, first, "Integer") for k, (_, _, P) in enumerate(outcomes)]
    objective = pulp.lpSum(p * c for (_, p, _), c in zip(outcomes, costs))
    if lam > 0:
        eta = pulp.LpVariable("eta")
        us = []
        for k, ((_, p, _), c) in enumerate(zip(outcomes, costs)):
            u = pulp.LpVariable(f"u_{k}", 0)
            prob += u + eta - c >= 0, f"outcome_excess_{k}"
            us.append((p, u))
        objective = objective + lam * eta + pulp.lpSum(lam * p / (1 - alpha) * u for p, u in us)
    prob += objective
    solver = pulp.PULP_CBC_CMD(msg=False, gapRel=args.gap, timeLimit=args.time_limit)
    prob.solve(solver)
    status = pulp.LpStatus[prob.status]
    if status != "Optimal":
        fail(f"CBC ended {status}")
    P0 = outcomes[0][2]
    sites = P0.inst["sites"]
    cooling = P0.inst["cooling"]
    built = sorted([sites[s]["id"], cooling[k]["id"]]
                   for (s, k), v in first["open"].items() if v.value() > 0.5)
    mega = sorted(sites[s]["id"] for s, v in first["mega"].items() if v.value() > 0.5)
    cost_cny = [pulp.value(c) * CNY_PER_UNIT for c in costs]
    probs = [p for _, p, _ in outcomes]
    expected = sum(p * c for p, c in zip(probs, cost_cny))
    tail = cvar(cost_cny, probs, alpha)
    print(json.dumps({
        "status": status,
        "objective_cny": pulp.value(prob.objective) * CNY_PER_UNIT,
        "objective_from_costs_cny": expected + lam * tail if lam > 0 else expected,
        "expected_cost_cny": expected,
        "cvar_cny": tail,
        "costs_cny": cost_cny,
        "names": [n for n, _, _ in outcomes],
        "probabilities": [p for _, p, _ in outcomes],
        "first_stage": built,
        "mega_sites": mega,
        "alpha": alpha,
        "lambda": lam,
    }, indent=1))


if __name__ == "__main__":
    main()
