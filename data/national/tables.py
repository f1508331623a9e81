#!/usr/bin/env python3
"""Scenario tables of the national default set (issue 27), from the raw material.

Reads data/national/{cities,candidates,provinces}.csv (made by build.py) and the
small set's tables (data/small/*.csv, for the figures it shares: quotas, site
sizes, temperatures, cooling, accelerators) and writes data/*.csv with the
schemas of `dcsite schema`:

    python3 data/national/tables.py          # standard library only; no network

Every rule that makes a number is in this file and named in the row's `source`
(E: estimate and its rule; R: recalled, not verified). data/national/README.md
describes the rules in words.
"""

import csv
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.dirname(HERE)
SMALL = os.path.join(DATA, "small")


def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def write(name, header, rows):
    path = os.path.join(DATA, name)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            w.writerow([r.get(h, "") for h in header])
    print(f"{name}: {len(rows)} rows")


def num(x, nd=4):
    """A number as the tables write it: no float noise, no trailing zeros."""
    s = f"{x:.{nd}f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s if s not in ("", "-0") else "0"


# ---------------------------------------------------------------- geodesy
# Vincenty's inverse on WGS 84 (agrees with Karney's geodesic, which dcsite
# uses, to well under a metre away from antipodes).
A_WGS, F_WGS = 6378137.0, 1 / 298.257223563
B_WGS = A_WGS * (1 - F_WGS)


def geodesic_km(lat1, lon1, lat2, lon2):
    if (lat1, lon1) == (lat2, lon2):
        return 0.0
    f = F_WGS
    L = math.radians(lon2 - lon1)
    U1 = math.atan((1 - f) * math.tan(math.radians(lat1)))
    U2 = math.atan((1 - f) * math.tan(math.radians(lat2)))
    sU1, cU1, sU2, cU2 = math.sin(U1), math.cos(U1), math.sin(U2), math.cos(U2)
    lam = L
    for _ in range(200):
        sl, cl = math.sin(lam), math.cos(lam)
        ss = math.hypot(cU2 * sl, cU1 * sU2 - sU1 * cU2 * cl)
        if ss == 0:
            return 0.0
        cs = sU1 * sU2 + cU1 * cU2 * cl
        sig = math.atan2(ss, cs)
        sa = cU1 * cU2 * sl / ss
        c2a = 1 - sa * sa
        c2sm = cs - 2 * sU1 * sU2 / c2a if c2a else 0.0
        C = f / 16 * c2a * (4 + f * (4 - 3 * c2a))
        prev = lam
        lam = L + (1 - C) * f * sa * (sig + C * ss * (c2sm + C * cs * (-1 + 2 * c2sm * c2sm)))
        if abs(lam - prev) < 1e-12:
            break
    u2 = c2a * (A_WGS**2 - B_WGS**2) / B_WGS**2
    A = 1 + u2 / 16384 * (4096 + u2 * (-768 + u2 * (320 - 175 * u2)))
    B = u2 / 1024 * (256 + u2 * (-128 + u2 * (74 - 47 * u2)))
    ds = B * ss * (c2sm + B / 4 * (cs * (-1 + 2 * c2sm**2) - B / 6 * c2sm * (-3 + 4 * ss**2) * (-3 + 4 * c2sm**2)))
    return B_WGS * A * (sig - ds) / 1000.0


# The baseline's latency model (models/baseline.toml): RTT = 2 x km x 1.5 x 4.9 us + 2 ms.
def rtt_ms(km):
    return 2.0 * km * 1.5 * 4.9 / 1000.0 + 2.0


# ---------------------------------------------------------------- regions
def slug(name_en):
    return name_en.lower().replace(" ", "_").replace("'", "")


# The small set's region of each province (data/small/regions.csv).
SMALL_REGION = {
    "beijing": "jjj", "tianjin": "jjj", "hebei": "jjj",
    "shanghai": "yrd", "jiangsu": "yrd", "zhejiang": "yrd", "anhui": "yrd",
    "guangdong": "gba", "hubei": "central", "sichuan": "cy", "chongqing": "cy",
    "shaanxi": "xian", "inner_mongolia": "inner_mongolia", "ningxia": "ningxia",
    "gansu": "gansu", "guizhou": "guizhou", "qinghai": "qinghai",
}
# How a multi-province region's power quota is shared (MW; sums to the region's).
POWER_SPLIT = {
    "beijing": 40, "tianjin": 30, "hebei": 80,  # jjj 150
    "shanghai": 60, "jiangsu": 70, "zhejiang": 60, "anhui": 60,  # yrd 250
    "sichuan": 200, "chongqing": 150,  # cy 350
}
SPLIT_WHY = {
    "jjj": "Beijing rations hardest, Hebei (Zhangjiakou) has the cluster",
    "yrd": "about even, Jiangsu largest",
    "cy": "Sichuan (Tianfu, Ya'an hydro) more than Chongqing",
}
OTHER_POWER = 150  # MW: the N other provinces
SMALL_GRID_POWER = {"hainan": 60, "tibet": 60}
ENERGY_FACTOR_OTHER = 0.9
# Renewable share of the N other provinces: E, rough share of hydro, wind and
# solar in provincial generation around 2023, recalled, not verified.
OTHER_GREEN = {
    "shanxi": 0.25, "liaoning": 0.25, "jilin": 0.35, "heilongjiang": 0.30,
    "fujian": 0.30, "jiangxi": 0.30, "shandong": 0.20, "henan": 0.25,
    "hunan": 0.40, "guangxi": 0.50, "hainan": 0.30, "yunnan": 0.85,
    "tibet": 0.90, "xinjiang": 0.35,
}
CORE, REGIONAL = {"jjj", "yrd", "gba"}, {"central", "cy", "xian"}
WEST_HUBS = {"inner_mongolia", "ningxia", "gansu", "guizhou", "qinghai"}


def regions(provinces, small_regions):
    out = []
    for p in provinces:
        rid = slug(p["name_en"])
        sr = SMALL_REGION.get(rid)
        if sr:
            s = small_regions[sr]
            tier = s["tier"]
            green = float(s["green_share"])
            pue = s["pue_cap"]
            if rid in POWER_SPLIT:
                power = POWER_SPLIT[rid]
                energy = round(float(s["energy_quota_tce"]) * power / float(s["power_quota_mw"]) / 100) * 100
                q = (f"E: the small set's {sr} quotas ({s['power_quota_mw']} MW, {s['energy_quota_tce']} tce) shared "
                     f"over its provinces ({SPLIT_WHY[sr]}), energy in proportion to power")
            else:
                power = float(s["power_quota_mw"])
                energy = float(s["energy_quota_tce"])
                q = f"E: the small set's {sr} quotas"
            src = f"{q}; pue_cap/green_share as the small set's {sr} region; small set row: {s['source']}"
        else:
            tier = "frontier"
            green = OTHER_GREEN[rid]
            power = SMALL_GRID_POWER.get(rid, OTHER_POWER)
            energy = round(power * 0.8 * 8760 * 0.1229 * (1 - green) * ENERGY_FACTOR_OTHER / 100) * 100
            pue = p["pue_cap_new_large"]
            src = (f"E: one of the N other provinces (no national cluster); power quota assumed {power} MW "
                   f"({'small grid' if rid in SMALL_GRID_POWER else 'a regional centre’s moderate headroom, half the small set’s central 300 MW'}); "
                   f"energy = power x 0.8 x 8760 x 0.1229 x (1-green) x {ENERGY_FACTOR_OTHER} (the small set's rule, factor of a regional centre); "
                   f"pue_cap B: new large DC < 1.3 (2021 plan) / GB 40879 grade 2 http://www.fszcwj.com/a/zixunzhongxin/ruanzhuangzixun/423.html; "
                   f"green E: rough renewable share of provincial generation (hydro, wind, solar), recalled, not verified")
        out.append({
            "region_id": rid, "name_en": p["name_en"], "name_zh": p["name_zh"], "tier": tier,
            "power_quota_mw": num(float(power)), "energy_quota_tce": num(float(energy)),
            "pue_cap": pue, "green_share": num(green), "source": src,
            "_province_id": p["province_id"],
        })
    return out


# ---------------------------------------------------------------- prices
SHAOGUAN_ZONE = "guangdong_shaoguan"


def prices(provinces, small_prices):
    out = []
    for p in provinces:
        src = p["source"].split("; capital_temp")[0]
        out.append({
            "province": slug(p["name_en"]), "name_en": p["name_en"],
            "price_cny_per_kwh": p["price_cny_per_kwh"], "low": p["low"], "high": p["high"],
            "source": f"{p['price_quality']}: 2025 delivered large-industry price; {src}",
        })
        if p["name_en"] == "Guangdong":
            s = small_prices[SHAOGUAN_ZONE]
            out.append({
                "province": SHAOGUAN_ZONE, "name_en": s["name_en"],
                "price_cny_per_kwh": s["price_cny_per_kwh"], "low": s["low"], "high": s["high"],
                "source": s["source"] + "; the price zone of the Shaoguan cluster sites, as in the small set",
            })
    return out


# ---------------------------------------------------------------- sites
# The small set's sites that are the same place as a national candidate: the
# national row takes their size, cost, lead time and temperature.
SAME_AS_SMALL = {
    "zjk_huailai": "huailai", "zjk_zhangbei": "zhangbei", "zhangjiakou": "zhangjiakou",
    "ulanqab": "ulanqab", "hohhot_park": "hohhot", "horinger": "horinger",
    "zhongwei": "zhongwei", "qingyang_xifeng": "qingyang", "guiyang_park": "guiyang",
    "guian": "guian", "shaoguan_zhenjiang": "shaoguan", "wuhu_jiujiang": "wuhu",
    "yrd_qingpu": "yrd_demo", "shanghai_park": "shanghai", "lingang": "lingang",
    "shenzhen": "shenzhen", "guangzhou_park": "guangzhou", "chengdu_park": "chengdu",
    "chongqing_park": "chongqing", "yaan": "yaan", "wuhan_park": "wuhan",
    "xian_park": "xian", "xining_park": "xining", "gonghe": "gonghe",
    "beijing_park": "beijing",
}

# Size, one-off cost and grid lead time by the site's group and kind (E), the
# small set's figures carried over to the new sites:
#   west_hub: the five western hub provinces (small set: 300-600 MW, 200 M, 5-6 months);
#   core: the core-cluster provinces (dear land, busy grid: 60-200 MW, 300-600 M, 8-14 months);
#   regional: Hubei, Sichuan, Chongqing, Shaanxi (150 MW, 250-400 M, 8-10 months);
#   other: the N other provinces (a provincial capital's park: 100 MW, 300 M, 8 months).
SIZE_RULE = {
    ("west_hub", "cluster"): (400, 200e6, 5, "western cluster start zone with spare substations and cheap land, as the small set's Ulanqab/Horinger/Zhongwei/Qingyang (400-600 MW, 200 M, 5 months)"),
    ("west_hub", "hub"): (300, 200e6, 6, "western hub-node park, as the small set's Gui'an (300 MW) with Hohhot's lead time (6 months)"),
    ("west_hub", "ai_centre"): (200, 200e6, 6, "campus of a western AI / computing centre: as the small set's Gonghe/Hohhot (200 MW, 200-250 M, 6 months)"),
    ("west_hub", "capital_park"): (150, 250e6, 6, "western provincial capital, as the small set's Xining/Guiyang (150 MW, 250 M, 6 months)"),
    ("core", "cluster"): (150, 300e6, 9, "east start zone, as the small set's Huailai/Wuhu/Shaoguan (150-200 MW, 300-350 M, 8-9 months)"),
    ("core", "hub"): (100, 400e6, 10, "east hub-node park outside the start zones: dear land, busy grid (small set Lingang/YRD demo 100 MW, 450-500 M, 12 months; Zhangjiakou 200 MW, 8)"),
    ("core", "ai_centre"): (80, 450e6, 12, "east-city AI / supercomputing centre: core city with scarce land and quota, as the small set's Guangzhou (80 MW, 550 M, 12 months)"),
    ("core", "capital_park"): (80, 500e6, 12, "core provincial capital: as the small set's Guangzhou/Shanghai (60-80 MW, 550-600 M, 12 months)"),
    ("regional", "cluster"): (150, 350e6, 10, "regional start zone, as the small set's Chengdu/Chongqing (150 MW, 350 M, 10 months)"),
    ("regional", "hub"): (150, 300e6, 9, "regional hub park, between the small set's Ya'an (150 MW, 250 M, 8) and Chengdu (350 M, 10)"),
    ("regional", "ai_centre"): (150, 350e6, 10, "regional AI centre campus, as the small set's Wuhan/Xi'an (150 MW, 350-400 M, 10 months)"),
    ("regional", "capital_park"): (150, 350e6, 10, "regional capital, as the small set's Wuhan/Xi'an (150 MW, 350-400 M, 10 months)"),
    ("other", "hub"): (150, 250e6, 8, "hub-type park in another province (no national cluster): 150 MW, 250 M, 8 months"),
    ("other", "ai_centre"): (100, 300e6, 8, "AI / supercomputing centre in another province: a city campus of 100 MW, 300 M, 8 months"),
    ("other", "capital_park"): (100, 300e6, 8, "provincial capital's park in another province: 100 MW, 300 M, 8 months (between the small set's capitals Xining 150/250 M/6 and Xi'an 150/350 M/10)"),
}

# Annual mean temperature (°C) of sites neither in the small set nor within
# 40 km of their provincial capital: 1981-2010 climate normals of the nearest
# station, recalled, not verified (R, about ±1 °C).
TEMP_R = {
    "zjk_xuanhua": 8.9, "yrd_wujiang": 16.5, "yrd_jiashan": 16.5, "wuhu_yijiang": 16.2,
    "wuhu_wuwei": 16.0, "shaoguan_qujiang": 20.5, "tianfu_jianyang": 17.0,
    "cq_shuitu": 18.2, "cq_bishan": 18.0, "cq_jingkai": 18.3, "ulanqab_jining": 4.3,
    "langfang": 12.5, "tianjin_wuqing": 12.2, "nantong": 15.3, "dongguan": 22.7,
    "qingyuan": 21.5, "huizhou": 22.0, "chongqing_city": 18.7, "ordos": 6.5, "baotou": 7.2,
    "qianxinan": 16.2, "qingyang_city": 9.2, "shizuishan": 9.7, "pengcheng": 22.5,
    "karamay": 8.6, "horinger_jingmeng": 7.0, "zhongwei_telecom": 8.8, "qingyang_cmcc": 9.2,
    "wuhu_huawei": 15.8, "zjk_ming": 8.5, "nsc_tianjin": 12.8, "nsc_shenzhen": 22.5,
    "nsc_wuxi": 16.2, "nsc_kunshan": 15.9, "dalian_aicc": 10.9, "qingdao_aicc": 12.7,
    "xiamen_aicc": 21.0, "datong": 7.0, "qingyang_chindata": 9.2, "zhongwei_zhongjin": 8.8,
    "cq_tenglong": 18.5, "cq_runze": 18.0, "guian_huawei": 14.8, "zjk_chindata": 10.0,
    "heyuan": 21.5, "yizheng": 15.3, "yancheng": 14.5, "huzhou": 16.2, "baoding": 12.9,
    "chengde": 9.1, "haidong": 7.5, "zhangye": 7.3, "hami": 10.0, "wulanchabu_huawei": 4.3,
    "yangquan": 11.3, "shenzhen": 22.5,
}


def sites(cands, regs, provinces, small_sites, cities):
    prov_by_id = {p["province_id"]: p for p in provinces}
    reg_by_pid = {r["_province_id"]: r for r in regs}
    capital = {}
    for c in cands:
        if c["kind"] == "capital_park":
            capital[c["province_id"]] = (float(c["lat"]), float(c["lon"]))
    out = []
    for c in cands:
        pid = c["province_id"]
        p, reg = prov_by_id[pid], reg_by_pid[pid]
        rid = reg["region_id"]
        sid = c["site_id"]
        lat, lon = float(c["lat"]), float(c["lon"])
        zone = SHAOGUAN_ZONE if sid.startswith("shaoguan_") else rid
        small = small_sites.get(SAME_AS_SMALL.get(sid, ""))
        if small:
            mw, cost, lead = small["max_it_mw"], small["fixed_cost_cny"], small["grid_lead_months"]
            size_src = f"max_it_mw/fixed_cost/grid_lead E: as the small set's site {small['site_id']} (data/small/sites.csv: {small['source'].split(' - ')[-1].split(';')[0]})"
        else:
            sr = SMALL_REGION.get(rid)
            group = "west_hub" if rid in WEST_HUBS else "core" if sr in CORE else "regional" if sr in REGIONAL else "other"
            kind = c["kind"]
            if (group, kind) not in SIZE_RULE:
                kind = "hub" if kind == "cluster" else kind
            m, f, l, why = SIZE_RULE[(group, kind)]
            mw, cost, lead = num(m), num(f, 0), num(l)
            size_src = f"max_it_mw/fixed_cost/grid_lead E: rule {group}/{c['kind']}: {why}"
        cap = capital.get(pid)
        near_capital = cap is not None and geodesic_km(lat, lon, *cap) <= 40
        if small:
            temp, tq = small["mean_temp_c"], small["temp_quality"]
            temp_src = f"mean_temp as the small set's {small['site_id']}"
        elif sid in TEMP_R:
            temp, tq = num(TEMP_R[sid], 1), "R"
            temp_src = "mean_temp R: 1981-2010 normal of the nearest station, recalled, not verified (about ±1 °C)"
        elif near_capital:
            temp, tq = p["capital_mean_temp_c"], p["temp_quality"]
            temp_src = f"mean_temp: the provincial capital's ({p['temp_quality']}, data/national/provinces.csv; the site lies within 40 km of it)"
        else:
            raise SystemExit(f"{sid}: no temperature (add it to TEMP_R)")
        out.append({
            "site_id": sid, "name_en": c["name_en"], "name_zh": c["name_zh"], "region_id": rid,
            "province": zone, "lat": c["lat"], "lon": c["lon"], "mean_temp_c": temp,
            "max_it_mw": mw, "fixed_cost_cny": cost, "grid_lead_months": lead, "status": "candidate",
            "coord_quality": c["coord_quality"], "temp_quality": tq,
            "source": f"{c['source']}; {size_src}; {temp_src}",
            "_kind": c["kind"],
        })
    return out


# ---------------------------------------------------------------- demand
RTT_STEPS = [20, 30, 40, 50, 60]


def demand(cities, provinces, site_rows):
    prov = {p["province_id"]: p for p in provinces}
    pts = [(float(s["lat"]), float(s["lon"]), s["site_id"]) for s in site_rows]
    out = []
    for c in cities:
        lat, lon = float(c["lat"]), float(c["lon"])
        gdp = float(c["gdp_cny"]) if c["gdp_cny"] else 0.0
        best = min((rtt_ms(geodesic_km(lat, lon, a, b)), sid) for a, b, sid in pts)
        budget = next(b for b in RTT_STEPS if best[0] <= b - 0.05)
        rtt_src = ("max_rtt B: MIIT 毫秒用算 target app-to-compute < 10 ms one-way = 20 ms RTT (facts §1.4)"
                   if budget == 20 else
                   f"max_rtt E: no candidate within 20 ms (nearest {best[1]} at {best[0]:.1f} ms), so the next 10 ms step, as the small set gives Urumqi 30 ms")
        weight_src = ("weight E: 2023 GDP in trillion CNY (data/national/README.md, demand-weight rule); Sansha has no GDP figure: weight 0"
                      if gdp == 0 else
                      f"weight: 2023 GDP in trillion CNY ({c['gdp_quality']}; data/national/README.md, demand-weight rule)")
        out.append({
            "node_id": c["node_id"], "name_en": c["name_en"], "name_zh": c["name_zh"],
            "province": prov[c["province_id"]]["name_en"], "lat": c["lat"], "lon": c["lon"],
            "weight": num(gdp / 1e12, 4), "max_rtt_ms": num(budget),
            "source": f"{c['source']}; {weight_src}; {rtt_src}",
        })
    return out


# ---------------------------------------------------------------- clusters
CLUSTERS = {
    "jingjinjimeng": "beijing;tianjin;hebei;inner_mongolia",
    "yangtze_delta": "shanghai;jiangsu;zhejiang;anhui",
    "greater_bay": "guangdong",
    "wuhan": "hubei",
    "chengyu": "sichuan;chongqing",
    "xian_zhongwei": "shaanxi;ningxia",
    "gansu": "gansu",
    "guizhou": "guizhou",
    "qinghai": "qinghai",
}


def clusters(small_clusters):
    out = []
    for c in small_clusters:
        r = dict(c)
        r["regions"] = CLUSTERS[c["cluster_id"]]
        r["source"] = (c["source"] + f"; provinces: the small set's regions {c['regions']} as provinces "
                       "(jjj = Beijing, Tianjin, Hebei; yrd = Shanghai, Jiangsu, Zhejiang, Anhui; cy = Sichuan, Chongqing; "
                       "central = Hubei; xian = Shaanxi; gba = Guangdong)")
        out.append(r)
    return out


# ---------------------------------------------------------------- subsidies
def subsidies(small_subs):
    out = []
    for s in small_subs:
        r = dict(s)
        pid = s["programme_id"]
        if s["scenario"] == "central_push":
            region = {"central": "hubei", "cy": "sichuan", "xian": "shaanxi"}[s["region_id"]]
            r["region_id"] = region
            r["source"] = s["source"] + f"; region: the small set's {s['region_id']} is {region} here"
            if s["region_id"] == "cy":
                # Chengdu-Chongqing is two provinces: the package is offered in both, caps halved.
                r["cap_cny"] = num(float(s["cap_cny"]) / 2, 0)
                r["source"] += " (cap halved: the other half is Chongqing's programme)"
                out.append(r)
                q = dict(r)
                q["region_id"] = "chongqing"
                q["programme_id"] = pid.replace("cp_cy_", "cp_cq_")
                q["source"] = s["source"] + "; Chongqing's half of the small set's Chengdu-Chongqing programme (cap halved)"
                out.append(q)
                continue
        elif s["scenario"] == "shanghai_domestic_capex":
            site = {"shanghai": "shanghai_park", "lingang": "lingang", "yrd_demo": "yrd_qingpu"}[s["site_id"]]
            r["region_id"] = "shanghai"
            r["site_id"] = site
            r["programme_id"] = "sh_domestic_capex_" + site
            r["source"] = s["source"].replace("limited to the Shanghai sites of yrd", "limited to the sites in Shanghai") + f"; site: the small set's {s['site_id']} is {site} here"
        out.append(r)
    # Shanghai's other candidate sites get the same programme.
    base = next((x for x in out if x["scenario"] == "shanghai_domestic_capex"), None)
    if base:
        q = dict(base)
        q["site_id"] = "shanghai_sensetime"
        q["programme_id"] = "sh_domestic_capex_shanghai_sensetime"
        q["source"] = base["source"].split("; site:")[0] + "; site: a national candidate in Shanghai"
        out.append(q)
    return out


# ---------------------------------------------------------------- accelerators
H200_SRC = ("C: price 200,000 CNY/card = the channel price of about US$28,000 in the project's source articles (facts §11, press reports of Dec 2025, reported not confirmed: "
            "'H200 about US$28,000 each', ~7.2 CNY/USD) https://kocka.news/en/article/hardware/201/the-bipolar-world-has-also-split-the-ai-ecosystem; "
            "price_low 175,000 = ¥1.4 M 8-GPU module / 8 https://news.platform.airstarbank.com/en/post/66581432/delivery-of-h200-in-china-accelerates-with-a-module-unit "
            "(the small set's figure); price_high = the default; perf 1 by definition; ")
ASCEND_SRC = ("C/E: perf 0.6 and price 120,000 CNY = 'about 60 % of an H200's performance at about 40 % less cost' in the project's source articles (facts §11; "
              "40 % less than the H200's 200,000); perf_high 0.79 = 780/989 dense BF16 TFLOPS and price_high 200,000 (~US$28k, C "
              "https://kocka.news/en/article/hardware/201/the-bipolar-world-has-also-split-the-ai-ecosystem) as the small set has them; ")


def accelerators(small_acc):
    out = []
    for a in small_acc:
        r = dict(a)
        rest = a["source"]
        if a["accel_id"] == "h200":
            r.update(price_cny_per_card="200000", price_low="175000", price_high="200000",
                     perf_low="1", perf_high="1")
            r["source"] = H200_SRC + "the rest as the small set: " + rest
        elif a["accel_id"] == "ascend_910c":
            r.update(price_cny_per_card="120000", price_low="120000", price_high="200000",
                     perf_h200_eq="0.6", perf_low="0.6", perf_high="0.79")
            r["source"] = ASCEND_SRC + "the rest as the small set: " + rest
        out.append(r)
    return out


def main():
    provinces = read(os.path.join(HERE, "provinces.csv"))
    cities = read(os.path.join(HERE, "cities.csv"))
    cands = read(os.path.join(HERE, "candidates.csv"))
    small = {n: read(os.path.join(SMALL, n + ".csv")) for n in
             ["regions", "sites", "electricity_prices", "clusters", "subsidies", "accelerators", "cooling"]}
    regs = regions(provinces, {r["region_id"]: r for r in small["regions"]})
    write("regions.csv", list(small["regions"][0].keys()), regs)
    write("electricity_prices.csv", list(small["electricity_prices"][0].keys()),
          prices(provinces, {r["province"]: r for r in small["electricity_prices"]}))
    srows = sites(cands, regs, provinces, {r["site_id"]: r for r in small["sites"]}, cities)
    write("sites.csv", [h for h in small["sites"][0].keys()], srows)
    drows = demand(cities, provinces, srows)
    write("demand.csv", ["node_id", "name_en", "name_zh", "province", "lat", "lon", "weight", "max_rtt_ms", "source"], drows)
    write("clusters.csv", list(small["clusters"][0].keys()), clusters(small["clusters"]))
    write("subsidies.csv", list(small["subsidies"][0].keys()), subsidies(small["subsidies"]))
    acc_header = list(small["accelerators"][0].keys())
    acc_header = acc_header[:-1] + ["price_low", "price_high", "perf_low", "perf_high", "source"]
    write("accelerators.csv", acc_header, accelerators(small["accelerators"]))
    write("cooling.csv", list(small["cooling"][0].keys()), small["cooling"])
    wide = [d for d in drows if d["max_rtt_ms"] != "20"]
    for d in wide:
        print(f"  {d['node_id']}: max_rtt_ms {d['max_rtt_ms']}")
    # Checks.
    ids = [s["site_id"] for s in srows]
    assert len(ids) == len(set(ids)) and len(srows) >= 120, "site ids unique, at least 120"
    assert len({d["node_id"] for d in drows}) == len(drows)
    assert len(regs) == 31
    return 0


if __name__ == "__main__":
    sys.exit(main())
