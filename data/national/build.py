#!/usr/bin/env python3
"""Regenerate data/national/{cities,candidates,provinces}.csv (issue 27).

Inputs:
  * cpca 0.5.5 from PyPI (MIT licence, https://github.com/DQinYuan/chinese_province_city_area_mapper),
    file cpca/resources/adcodes.csv inside the wheel: GB/T 2260 codes, names and a centre point of
    every province, prefecture and county. The points are Amap (AutoNavi) district centres, i.e.
    GCJ-02 (Shanghai 121.473701, 31.230416 is Amap's own centre of 上海市); they are converted
    here to WGS 84 with the published GCJ-02 formula inverted by fixed-point iteration (a port of
    src/spatial/chinese.rs).
    The wheel is fetched with `pip download --no-deps cpca==0.5.5` and checked against its sha256.
  * pypinyin (MIT) for English names (Hanyu Pinyin) of the divisions without a conventional
    English name (table EN_NAMES below).
  * The project's facts sheet, transcribed with its quality tags and URLs into the tables
    CANDIDATES and PROVINCES below (the source cells carry the URLs themselves).
  * data/provinces.geojson (in this repository) to check that every point lies in its province.

Run: python3 data/national/build.py [--wheel path/to/cpca-0.5.5-py3-none-any.whl]
Needs: pypinyin, shapely (pip install pypinyin shapely).
"""
import argparse
import csv
import hashlib
import io
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from collections import Counter, OrderedDict

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.dirname(HERE)

CPCA_VERSION = "0.5.5"
CPCA_SHA256 = "1635b589506b3e28424032bce61d2488e1f6fac1034a736014e70e043f824fe6"
CPCA_SRC = ("cpca 0.5.5 (PyPI; MIT; github.com/DQinYuan/chinese_province_city_area_mapper) "
            "resources/adcodes.csv")

# --------------------------------------------------------------------------------------------
# GCJ-02 -> WGS 84 (port of src/spatial/chinese.rs)
# --------------------------------------------------------------------------------------------
KRASOVSKY_A = 6378245.0
KRASOVSKY_EE = 0.00669342162296594323


def _out_of_china(lon, lat):
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _tlat(x, y):
    r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    r += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    r += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    r += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return r


def _tlon(x, y):
    r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    r += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    r += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    r += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return r


def wgs84_to_gcj02(lon, lat):
    if _out_of_china(lon, lat):
        return lon, lat
    dlat = _tlat(lon - 105.0, lat - 35.0)
    dlon = _tlon(lon - 105.0, lat - 35.0)
    rad = lat / 180.0 * math.pi
    magic = 1.0 - KRASOVSKY_EE * math.sin(rad) ** 2
    sm = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((KRASOVSKY_A * (1.0 - KRASOVSKY_EE)) / (magic * sm) * math.pi)
    dlon = (dlon * 180.0) / (KRASOVSKY_A / sm * math.cos(rad) * math.pi)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon, lat):
    if _out_of_china(lon, lat):
        return lon, lat
    x, y = lon, lat
    for _ in range(100):
        fx, fy = wgs84_to_gcj02(x, y)
        ex, ey = lon - fx, lat - fy
        if abs(ex) < 1e-9 and abs(ey) < 1e-9:
            return x, y
        x += ex
        y += ey
    raise ValueError("GCJ-02 inverse did not converge at %f %f" % (lon, lat))


# --------------------------------------------------------------------------------------------
# Administrative divisions
# --------------------------------------------------------------------------------------------
MUNICIPALITIES = {"110000": "北京市", "120000": "天津市", "310000": "上海市", "500000": "重庆市"}
# Changes after the cpca snapshot (2018 codes) at prefecture level.
DROPPED = {"371200": "莱芜市: merged into 济南市 in January 2019 (State Council approval 2019)"}
RENAMED = {"542400": ("那曲市", "540600", "那曲地区 (542400) became 那曲市 (540600) in 2017-2018")}
NOT_PREFECTURES = ("省直辖县级行政区划", "自治区直辖县级行政区划", "市辖区", "县")

ETHNIC = ["朝鲜族", "土家族", "布依族", "哈尼族", "景颇族", "傈僳族", "蒙古族", "柯尔克孜", "哈萨克",
          "蒙古", "苗族", "藏族", "羌族", "彝族", "侗族", "壮族", "傣族", "白族", "回族"]

# Conventional English names (Wade-Giles, Mongolian, Uyghur or Tibetan forms used in English),
# otherwise Hanyu Pinyin. Keys: short Chinese name.
EN_NAMES = {
    "北京": "Beijing", "天津": "Tianjin", "上海": "Shanghai", "重庆": "Chongqing",
    "呼和浩特": "Hohhot", "包头": "Baotou", "鄂尔多斯": "Ordos", "乌兰察布": "Ulanqab",
    "呼伦贝尔": "Hulunbuir", "巴彦淖尔": "Bayannur", "锡林郭勒": "Xilingol", "阿拉善": "Alxa",
    "兴安": "Hinggan", "大兴安岭": "Da Hinggan Ling", "哈尔滨": "Harbin", "乌鲁木齐": "Urumqi",
    "喀什": "Kashgar", "和田": "Hotan", "阿克苏": "Aksu", "克拉玛依": "Karamay",
    "吐鲁番": "Turpan", "哈密": "Hami", "伊犁": "Ili", "阿勒泰": "Altay", "塔城": "Tacheng",
    "博尔塔拉": "Bortala", "巴音郭楞": "Bayingolin", "克孜勒苏": "Kizilsu", "昌吉": "Changji",
    "拉萨": "Lhasa", "日喀则": "Shigatse", "昌都": "Chamdo", "林芝": "Nyingchi", "山南": "Shannan",
    "那曲": "Nagqu", "阿里": "Ngari", "西安": "Xi'an", "吉安": "Ji'an", "泰安": "Tai'an",
    "延安": "Yan'an", "淮安": "Huai'an", "雅安": "Ya'an", "六安": "Lu'an", "西宁": "Xining",
    "海南": "Hainan Tibetan", "阿坝": "Ngawa", "甘孜": "Garze", "迪庆": "Diqing",
    "果洛": "Golog", "玉树": "Yushu", "黄南": "Huangnan", "海北": "Haibei", "海西": "Haixi",
    "甘南": "Gannan", "临夏": "Linxia", "怒江": "Nujiang", "德宏": "Dehong",
    "西双版纳": "Xishuangbanna", "黔西南": "Qianxinan", "黔东南": "Qiandongnan", "黔南": "Qiannan",
    "恩施": "Enshi", "湘西": "Xiangxi", "延边": "Yanbian", "红河": "Honghe", "文山": "Wenshan",
    "楚雄": "Chuxiong", "大理": "Dali", "凉山": "Liangshan", "普洱": "Pu'er", "张家口": "Zhangjiakou",
    "石家庄": "Shijiazhuang", "齐齐哈尔": "Qiqihar", "牡丹江": "Mudanjiang", "佳木斯": "Jiamusi",
}


def short_name(name):
    for suf in ("自治州", "地区", "盟"):
        if name.endswith(suf):
            name = name[: -len(suf)]
            break
    else:
        if name.endswith("市") and len(name) > 2:
            name = name[:-1]
    changed = True
    while changed:
        changed = False
        for e in ETHNIC:
            if name.endswith(e) and len(name) > len(e):
                name = name[: -len(e)]
                changed = True
    return name


def english(short):
    if short in EN_NAMES:
        return EN_NAMES[short]
    from pypinyin import lazy_pinyin
    syl = lazy_pinyin(short)
    out = syl[0]
    for s in syl[1:]:
        out += ("'" if s[0] in "aoe" else "") + s
    return out[0].upper() + out[1:]


def slug(text):
    s = re.sub(r"[^a-z0-9]+", "_", text.lower().replace("'", "")).strip("_")
    return s


def load_cpca(wheel):
    if wheel is None:
        tmp = tempfile.mkdtemp()
        subprocess.check_call([sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                               "cpca==%s" % CPCA_VERSION, "-d", tmp])
        wheel = os.path.join(tmp, "cpca-%s-py3-none-any.whl" % CPCA_VERSION)
    blob = open(wheel, "rb").read()
    digest = hashlib.sha256(blob).hexdigest()
    if digest != CPCA_SHA256:
        sys.exit("cpca wheel sha256 %s != %s" % (digest, CPCA_SHA256))
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        text = z.read("cpca/resources/adcodes.csv").decode("utf-8")
    rows = {}
    for r in csv.DictReader(io.StringIO(text)):
        code = r["adcode"][:6]
        if not r["longitude"] or not r["latitude"]:
            rows[code] = {"name": r["name"], "lat": None, "lon": None, "gcj": None}
            continue
        lon, lat = gcj02_to_wgs84(float(r["longitude"]), float(r["latitude"]))
        rows[code] = {"name": r["name"], "lat": lat, "lon": lon,
                      "gcj": (float(r["latitude"]), float(r["longitude"]))}
    return rows


def provinces_geo():
    g = json.load(open(os.path.join(DATA, "provinces.geojson"), encoding="utf-8"))
    return {str(f["properties"]["province_id"]): f for f in g["features"]}


# --------------------------------------------------------------------------------------------
# Population / GDP. No open per-prefecture table was found in the stores this dataset was built
# from (see README). Population: the 7th census (2020) as recalled (R) in pop_gdp_recalled.py,
# checked here against the provincial census totals. GDP: an estimate (E) that shares the
# province's 2023 GDP (R) out by population: gdp = prov_gdp_2023 x pop / prov_pop_2020.
# --------------------------------------------------------------------------------------------
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)
from pop_gdp_recalled import POP_2020, PROV_POP_2020, PROV_GDP_2023  # noqa: E402

POP_SRC = ("population R: 7th national census 1 Nov 2020 (NBS / provincial 第七次全国人口普查公报), "
           "recalled, not verified (data/national/pop_gdp_recalled.py)")
GDP_SRC_MUNI = "gdp R: 2023 statistical communiqué, recalled, not verified"
GDP_SRC = ("gdp E: the province's 2023 GDP (R, recalled) less the GDP of its cities in "
           "data/demand.csv, shared out over its other people by census population (the rest of "
           "the province's GDP per head x the city's population)")


GDP_SRC_DEMAND = ("gdp R: 2023 city GDP as data/demand.csv has it (its weight = GDP in 1e12 CNY, "
                  "rounded to 0.1; recalled, not verified)")


def demand_anchors(cities_raw):
    """adcode -> (gdp_cny, node_id) for the cities of the small set (data/demand.csv)."""
    out = {}
    with open(os.path.join(DATA, "demand.csv"), encoding="utf-8") as f:
        for r in csv.DictReader(f):
            zh = r["name_zh"]
            hits = [c for c, pid, n, _ in cities_raw if n in (zh, zh + "市")]
            if len(hits) != 1:
                sys.exit("demand.csv %s matches %d cities" % (zh, len(hits)))
            out[hits[0]] = (float(r["weight"]) * 1e12, r["node_id"])
    return out


def gdp_rest(cities_raw, anchors):
    """Per province: (GDP not covered by anchors, census population not covered by anchors)."""
    rest = {pid: [PROV_GDP_2023[pid] * 1e8, PROV_POP_2020[pid]] for pid in PROV_GDP_2023}
    for code, pid, _, _ in cities_raw:
        if code in anchors and code not in MUNICIPALITIES:
            rest[pid][0] -= anchors[code][0]
            rest[pid][1] -= POP_2020[code] * 1e4
    return rest


def pop_gdp(code, pid, anchors, rest):
    if code not in POP_2020:
        return ("", "", "", "", "", "", "population/GDP: none recalled (Sansha, a few thousand people)")
    pop = int(round(POP_2020[code] * 1e4, -3))
    if code in MUNICIPALITIES:
        gdp = PROV_GDP_2023[code] * 1e8
        return (pop, 2020, "R", "%.0f" % gdp, 2023, "R", POP_SRC + "; " + GDP_SRC_MUNI)
    if code in anchors:
        return (pop, 2020, "R", "%.0f" % anchors[code][0], 2023, "R", POP_SRC + "; " + GDP_SRC_DEMAND)
    gdp = rest[pid][0] * POP_2020[code] * 1e4 / rest[pid][1]
    return (pop, 2020, "R", "%.0f" % round(gdp, -6), 2023, "E", POP_SRC + "; " + GDP_SRC)


def build_cities(ad, geo):
    out = []
    for code, name in MUNICIPALITIES.items():
        r = ad[code]
        out.append((code, code, name, r))
    for code, r in ad.items():
        if code[2:4] == "00" or code[4:6] != "00":
            continue
        if code in DROPPED or r["name"] in NOT_PREFECTURES or code[:2] in ("11", "12", "31", "50"):
            continue
        name, newcode = RENAMED.get(code, (r["name"], code))[:2]
        out.append((newcode, code[:2] + "0000", name, r))
    out.sort(key=lambda t: t[0])
    prov_slug = {pid: slug(f["properties"]["name_en"]) for pid, f in geo.items()}
    anchors = demand_anchors(out)
    rest = gdp_rest(out, anchors)
    base = [slug(english(short_name(n))) for _, _, n, _ in out]
    dup = {s for s, c in Counter(base).items() if c > 1}
    rows = []
    for (code, pid, name, r), s in zip(out, base):
        # On a slug collision every city takes its province as a suffix, except the one that
        # data/demand.csv already names with the bare slug (suzhou = 苏州, fuzhou = 福州).
        keep = code in anchors and anchors[code][1] == s
        node = s if (s not in dup or keep) else "%s_%s" % (s, prov_slug[pid])
        note = {v[1]: v[2] for v in RENAMED.values()}.get(code)
        src = ("B: name/adcode/centre %s (name as of the 2018 codes%s); lat/lon = Amap district "
               "centre, GCJ-02 (%.6f, %.6f) converted to WGS 84 (GCJ-02 inverse, src/spatial/chinese.rs "
               "port); name_en: conventional or Hanyu Pinyin (pypinyin, MIT)") % (
            CPCA_SRC, "; " + note if note else "", r["gcj"][0], r["gcj"][1])
        pop, py, pq, gdp, gy, gq, psrc = pop_gdp(code, pid, anchors, rest)
        rows.append(OrderedDict([
            ("node_id", node), ("name_zh", name), ("name_en", english(short_name(name))),
            ("province_id", pid), ("adcode", code),
            ("lat", "%.5f" % r["lat"]), ("lon", "%.5f" % r["lon"]),
            ("population", pop), ("pop_year", py), ("pop_quality", pq),
            ("gdp_cny", gdp), ("gdp_year", gy), ("gdp_quality", gq),
            ("source", src + "; " + psrc),
        ]))
    return rows


# --------------------------------------------------------------------------------------------
# Candidate sites
# --------------------------------------------------------------------------------------------
F12 = "facts §1.2 start zone "
U_ZSLIJIA = "http://zslijia.com/article/54057.html"
U_IDCNOVA = "http://www.idcnova.com/html/1/59/153/1014.html"
U_SHAOGUAN = "http://shennongbaicaogaogw.com/html/1671/2022-03-11/content-365661.html"
U_TIANFU = "http://wap.dizo.com.cn/qyjj/2022/0803/32468.html"
U_HORINGER = "https://e993.com/caijing_5323d25303d233230323_myuyzsw2104145"
U_GUIAN = "http://m.topoint.com.cn/tongxin/20220802/0219605.html"
U_QINGYANG = "https://news.orangecds.com/zixun/131034_129607.html"
U_ZHONGWEI = "http://m.chinacrane.net/news/202112/31/222190.html"

# (site_id, name_en, name_zh, kind, where, coord_quality, source)
# where: a 6-digit adcode (county/district or city centre from cpca, converted to WGS 84) or
# (lat, lon) in WGS 84 taken from the facts sheet §9.1 / §2.
CANDIDATES = [
    # ---- the 10 national clusters of 东数西算, one row per start-zone district (facts §1.2)
    ("zjk_huailai", "Zhangjiakou cluster: Huailai", "张家口集群 怀来县", "cluster", "130730", "B", "B: " + F12 + U_IDCNOVA),
    ("zjk_zhangbei", "Zhangjiakou cluster: Zhangbei", "张家口集群 张北县", "cluster", "130722", "B", "B: " + F12 + U_IDCNOVA + "; Alibaba Zhangbei DC (facts §2, C)"),
    ("zjk_xuanhua", "Zhangjiakou cluster: Xuanhua", "张家口集群 宣化区", "cluster", "130705", "B", "B: " + F12 + U_IDCNOVA),
    ("yrd_qingpu", "YRD demo zone cluster: Qingpu", "长三角示范区集群 青浦区", "cluster", "310118", "B", "A: " + F12 + U_ZSLIJIA),
    ("yrd_wujiang", "YRD demo zone cluster: Wujiang", "长三角示范区集群 吴江区", "cluster", "320509", "B", "A: " + F12 + U_ZSLIJIA),
    ("yrd_jiashan", "YRD demo zone cluster: Jiashan", "长三角示范区集群 嘉善县", "cluster", "330421", "B", "A: " + F12 + U_ZSLIJIA),
    ("wuhu_jiujiang", "Wuhu cluster: Jiujiang", "芜湖集群 鸠江区", "cluster", "340207", "B", "A: " + F12 + U_ZSLIJIA + "; Huawei Cloud East China (facts §2, B)"),
    ("wuhu_yijiang", "Wuhu cluster: Yijiang", "芜湖集群 弋江区", "cluster", "340203", "B", "A: " + F12 + U_ZSLIJIA),
    ("wuhu_wuwei", "Wuhu cluster: Wuwei", "芜湖集群 无为市", "cluster", "340225", "B", "A: " + F12 + U_ZSLIJIA + " (无为县 became 无为市 in 2019; code 340281 now)"),
    ("shaoguan_zhenjiang", "Shaoguan cluster: Zhenjiang industrial park", "韶关集群 浈江产业园", "cluster", "440204", "B", "A: " + F12 + U_SHAOGUAN + " (main park; point = 浈江区 centre)"),
    ("shaoguan_qujiang", "Shaoguan cluster: Qujiang Baitu", "韶关集群 曲江白土", "cluster", "440205", "B", "A: " + F12 + U_SHAOGUAN + " (secondary park; point = 曲江区 centre)"),
    ("tianfu_shuangliu", "Tianfu cluster: Shuangliu", "天府集群 双流区", "cluster", "510116", "B", "B: " + F12 + U_TIANFU),
    ("tianfu_pidu", "Tianfu cluster: Pidu", "天府集群 郫都区", "cluster", "510124", "B", "B: " + F12 + U_TIANFU + " (郫县 became 郫都区 in 2016)"),
    ("tianfu_jianyang", "Tianfu cluster: Jianyang", "天府集群 简阳市", "cluster", "510185", "B", "B: " + F12 + U_TIANFU),
    ("cq_shuitu", "Chongqing cluster: Liangjiang Shuitu", "重庆集群 两江新区水土新城", "cluster", "500109", "B", "R: start zone recalled, not verified (facts §1.2); point = 北碚区 centre"),
    ("cq_bishan", "Chongqing cluster: Bishan (Western Science City)", "重庆集群 西部科学城璧山片区", "cluster", "500120", "B", "R: start zone recalled, not verified (facts §1.2); point = 璧山区 centre"),
    ("cq_jingkai", "Chongqing cluster: Economic Development Zone", "重庆集群 重庆经开区", "cluster", "500108", "B", "R: start zone recalled, not verified (facts §1.2); point = 南岸区 centre"),
    ("horinger", "Horinger New Area", "和林格尔新区", "cluster", (40.60, 111.80), "E", "B: " + F12 + U_HORINGER + "; lat/lon E: new-area cloud valley (facts §9.1)"),
    ("ulanqab_jining", "Ulanqab Jining big-data park", "集宁大数据产业园", "cluster", "150902", "B", "B: " + F12 + U_HORINGER + "; point = 集宁区 centre"),
    ("guian", "Gui'an New Area", "贵安新区", "cluster", (26.40, 106.35), "E", "B: " + F12 + U_GUIAN + "; lat/lon E: between Guiyang and Anshun (facts §9.1)"),
    ("qingyang_xifeng", "Qingyang Xifeng data park", "庆阳西峰数据信息产业聚集区", "cluster", "621002", "B", "B: " + F12 + U_QINGYANG + "; point = 西峰区 centre"),
    ("zhongwei", "Zhongwei West cloud base", "中卫工业园区西部云基地", "cluster", (37.500, 105.197), "B", "B: " + F12 + U_ZHONGWEI + "; lat/lon B https://pinocchiopedia.com/wiki/Zhongwei (facts §9.1)"),
    # ---- other parks in the 8 hub nodes (facts §1.2, §2)
    ("zhangjiakou", "Zhangjiakou", "张家口", "hub", (40.769, 114.886), "B", "B: JJJ hub city, 48 DCs (facts §2) http://stevenpotter.cn/?page_id=1590&variant=zh-hant; lat/lon B https://wikizero.com/En/Zhangjiakou"),
    ("langfang", "Langfang", "廊坊", "hub", "131000", "B", "R: JJJ hub data-centre city next to Beijing (recalled, not verified); point = city centre"),
    ("tianjin_wuqing", "Tianjin Wuqing", "天津武清", "hub", "120114", "B", "R: JJJ hub data-centre district (recalled, not verified); point = 武清区 centre"),
    ("lingang", "Shanghai Lingang", "上海临港", "hub", (30.90, 121.93), "R", "B: Shanghai hub-type cluster named in 2023 guidance http://baoji.gqsoso.com/baoji/20230419/910608.html; lat/lon R (facts §9.1)"),
    ("nantong", "Nantong", "南通", "hub", "320600", "B", "R: YRD hub data-centre city (recalled, not verified); point = city centre"),
    ("hangzhou_hub", "Hangzhou (YRD hub)", "杭州", "hub", "330100", "B", "E: YRD hub provincial capital city; point = city centre"),
    ("shenzhen", "Shenzhen", "深圳", "hub", (22.543, 114.058), "R", "B: GBA demand hub; Pengcheng Cloud Brain (facts §2) https://www.dutenews.com/n/article/8581793; lat/lon R (facts §9.1)"),
    ("dongguan", "Dongguan Songshan Lake", "东莞松山湖", "hub", "441900", "B", "R: GBA hub data-centre location (recalled, not verified); point = city centre"),
    ("qingyuan", "Qingyuan", "清远", "hub", "441800", "B", "R: GBA hub, Tencent Qingyuan DC (recalled, not verified); point = city centre"),
    ("huizhou", "Huizhou", "惠州", "hub", "441300", "B", "R: GBA hub data-centre city (recalled, not verified); point = city centre"),
    ("yaan", "Ya'an West Sichuan big-data park", "雅安川西大数据产业园", "hub", "511802", "B", "B: CY hub, settlement price <=0.34 CNY/kWh (facts §3.1) https://ya.newssc.org/system/20190619/002695944.htm; point = 雨城区 centre"),
    ("chongqing_city", "Chongqing central", "重庆主城", "hub", (29.56, 106.55), "R", "C: CY hub city; Tenglong 5G park (facts §2) https://hfnxjk.com/datacenter/news/566232.html; lat/lon R (facts §9.1)"),
    ("ulanqab", "Ulanqab", "乌兰察布", "hub", (41.000, 113.133), "B", "B: IM hub city: Alibaba, UCloud, Kuaishou, Apple, Huawei (facts §2) http://www.pecchrd.com/dianping/5556540121; lat/lon B http://piglix.com/piglix/Ulanqab"),
    ("ordos", "Ordos", "鄂尔多斯", "hub", "150600", "B", "R: IM hub, coal/wind-rich city with DC parks (recalled, not verified); point = city centre"),
    ("baotou", "Baotou", "包头", "hub", "150200", "B", "R: IM hub city (recalled, not verified); point = city centre"),
    ("guiyang_hub", "Guiyang big-data park", "贵阳大数据产业园", "hub", (26.650, 106.633), "B", "B: Guizhou hub capital; Guizhou 85 EFLOPS (facts §2) https://beijingtimes.com/?p=3822; lat/lon B http://piglix.com/piglix/Guiyang"),
    ("qianxinan", "Qianxinan (local grid)", "黔西南", "hub", "522300", "B", "A: Guizhou hub, local grid 0.34 CNY/kWh (facts §3.1) http://big5.www.gov.cn/gate/big5/www.gov.cn/xinwen/2019-06/12/content_5399578.htm; point = prefecture centre"),
    ("qingyang_city", "Qingyang city", "庆阳", "hub", (35.709, 107.644), "B", "B: Gansu hub: China Mobile 92,000 PF, Chindata (facts §2) https://chinadailybrief.com/article/69ea023143a525ab0cd5e765; lat/lon B (facts §9.1)"),
    ("lanzhou_newarea", "Lanzhou New Area", "兰州新区", "hub", "620100", "B", "R: Gansu hub data-centre park (recalled, not verified); point = Lanzhou city centre"),
    ("yinchuan_hub", "Yinchuan", "银川", "hub", "640100", "B", "R: Ningxia hub second city for DCs (recalled, not verified); point = city centre"),
    ("shizuishan", "Shizuishan", "石嘴山", "hub", "640200", "B", "R: Ningxia hub city (recalled, not verified); point = city centre"),
    # ---- large AI / computing centres already built (facts §2; national supercomputing centres R)
    ("wuhan_aicc", "Wuhan AI Computing Centre", "武汉人工智能计算中心", "ai_centre", "420111", "B", "B: 200 PF after expansion (facts §2) https://reportify.cn/news/1191715962655739904; point = 洪山区 centre (East Lake high-tech zone R)"),
    ("wuhan_telecom", "China Telecom Central China AI centre", "中国电信华中智算中心", "ai_centre", "420100", "B", "B: >2,000 PF (facts §2) https://reportify.ai/news/1161043376246755328; point = Wuhan city centre"),
    ("chengdu_icc", "Chengdu Intelligent Computing Centre", "成都智算中心", "ai_centre", "510124", "B", "B: Ascend, 1,000P plan (facts §2) http://www.11946.cn/sy/2022/0422/27581.html; point = 郫都区 centre (R)"),
    ("xian_future_aicc", "Xi'an Future AI Computing Centre", "西安未来人工智能计算中心", "ai_centre", (34.26, 108.94), "R", "C: 300P (facts §2) http://www.bdfblog.com/hangye/6151.html; lat/lon R Xi'an (facts §9.1)"),
    ("pengcheng", "Pengcheng Cloud Brain", "鹏城云脑", "ai_centre", "440305", "B", "B: Pengcheng Cloud Brain III (facts §2) https://www.dutenews.com/n/article/8581793; point = 南山区 centre"),
    ("beijing_cuihu", "Beijing Cuihu AI public compute", "北京翠湖智算", "ai_centre", "110108", "B", "C: 1,500P->4,000P (facts §2) http://www.4huy16.com/thread-864303-1-1.html; point = 海淀区 centre"),
    ("xining_sanjiangyuan", "China Unicom Sanjiangyuan green AI centre", "三江源绿色算力中心", "ai_centre", (36.62, 101.78), "R", "B: 3,479P signed (facts §2) http://hxjkbz.com/n/959285; lat/lon R Xining (facts §9.1)"),
    ("gonghe", "Gonghe clean-energy compute park", "海南州共和绿色算力园", "ai_centre", (36.274, 100.621), "B", "B: 100% green generation (facts §2) http://jiefutu.com/newscenter/system/2025/03/18/030367441.shtml; lat/lon B https://memim.com/hainan-tibetan-autonomous-prefecture.html"),
    ("karamay", "Karamay cloud park", "克拉玛依云计算产业园", "ai_centre", "650200", "B", "C: green-power subsidy for AI centres energised 2024-25 (facts §3.2) https://evolvenet.net/; point = city centre"),
    ("horinger_jingmeng", "Jingmeng AI centre (Horinger)", "京蒙智算中心", "ai_centre", "150123", "B", "B: Jingmeng AI centre, ten-thousand-GPU clusters (facts §2) https://www.d9book.com/zixun/bPj9XJnp76.html; point = 和林格尔县 centre"),
    ("zhongwei_telecom", "China Telecom Zhongwei green AI DC", "中国电信中卫绿电智算中心", "ai_centre", "640502", "B", "B: 100% direct-green AI DC, PUE 1.15 (facts §2) https://dig.watch/updates/china-links-ai-data-centre-to-green-electricity; point = 沙坡头区 centre"),
    ("qingyang_cmcc", "China Mobile Qingyang AI centre", "中国移动庆阳智算中心", "ai_centre", "621002", "B", "B: 92,000 PF, immersion PUE 1.07 (facts §2) https://chinadailybrief.com/article/69ea023143a525ab0cd5e765; point = 西峰区 centre"),
    ("wuhu_huawei", "Huawei Cloud East China (Wuhu)", "华为云华东数据中心", "ai_centre", "340207", "B", "B: 10 bn CNY, 10k racks 8-22 kW (facts §2) http://www.kjcyd.cn/news/show/921.html; point = 鸠江区 centre"),
    ("zjk_ming", "Ming Energy AI centre (Zhangjiakou)", "明阳张家口智算中心", "ai_centre", "130700", "B", "B: 20 bn CNY AI centre (facts §2) https://www.caixinglobal.com/2025-09-05/in-depth-chinese-industrial-hub-stakes-future-on-green-high-tech-102359455.html; point = city centre"),
    ("nsc_tianjin", "National Supercomputing Centre Tianjin", "国家超级计算天津中心", "ai_centre", "120116", "B", "R: recalled, not verified; point = 滨海新区 centre"),
    ("nsc_changsha", "National Supercomputing Centre Changsha", "国家超级计算长沙中心", "ai_centre", "430100", "B", "R: recalled, not verified; point = city centre"),
    ("nsc_jinan", "National Supercomputing Centre Jinan", "国家超级计算济南中心", "ai_centre", "370100", "B", "R: recalled, not verified; point = city centre"),
    ("nsc_guangzhou", "National Supercomputing Centre Guangzhou", "国家超级计算广州中心", "ai_centre", "440100", "B", "R: recalled, not verified; point = city centre"),
    ("nsc_shenzhen", "National Supercomputing Centre Shenzhen", "国家超级计算深圳中心", "ai_centre", "440300", "B", "R: recalled, not verified; point = city centre"),
    ("nsc_wuxi", "National Supercomputing Centre Wuxi", "国家超级计算无锡中心", "ai_centre", "320200", "B", "R: recalled, not verified; point = city centre"),
    ("nsc_zhengzhou", "National Supercomputing Centre Zhengzhou", "国家超级计算郑州中心", "ai_centre", "410100", "B", "R: recalled, not verified; point = city centre"),
    ("nsc_kunshan", "National Supercomputing Centre Kunshan", "国家超级计算昆山中心", "ai_centre", "320583", "B", "R: recalled, not verified; point = 昆山市 centre"),
    ("nsc_chengdu", "National Supercomputing Centre Chengdu", "国家超级计算成都中心", "ai_centre", "510100", "B", "R: recalled, not verified; point = city centre"),
    ("nanjing_aicc", "Nanjing AI Computing Centre", "南京人工智能计算中心", "ai_centre", "320115", "B", "R: Ascend-based city AI computing centre (recalled, not verified); point = 江宁区 centre"),
    ("hangzhou_aicc", "Hangzhou AI Computing Centre", "杭州人工智能计算中心", "ai_centre", "330100", "B", "R: Ascend-based city AI computing centre (recalled, not verified); point = city centre"),
    ("shenyang_aicc", "Shenyang AI Computing Centre", "沈阳人工智能计算中心", "ai_centre", "210100", "B", "R: Ascend-based city AI computing centre (recalled, not verified); point = city centre"),
    ("dalian_aicc", "Dalian AI Computing Centre", "大连人工智能计算中心", "ai_centre", "210200", "B", "R: Ascend-based city AI computing centre (recalled, not verified); point = city centre"),
    ("qingdao_aicc", "Qingdao AI Computing Centre", "青岛人工智能计算中心", "ai_centre", "370200", "B", "R: Ascend-based city AI computing centre (recalled, not verified); point = city centre"),
    ("xiamen_aicc", "Xiamen AI Computing Centre", "厦门人工智能计算中心", "ai_centre", "350200", "B", "R: city AI computing centre (recalled, not verified); point = city centre"),
    ("shanghai_sensetime", "SenseTime AIDC Lingang", "商汤科技人工智能计算中心", "ai_centre", "310115", "B", "R: recalled, not verified; point = 浦东新区 centre (Lingang is in Pudong)"),
    ("datong", "Datong data-centre park", "大同数据中心集聚区", "ai_centre", "140200", "B", "R: Qinhuai Data Datong campus (recalled, not verified); point = city centre"),
    ("wuhan_cmcc", "China Mobile Wuhan AI centre", "中国移动武汉智算中心", "ai_centre", "420100", "B", "B: >2,000P (facts §2) http://www.senqingzn.com/dy/article/K419I53E0552H092.html; point = Wuhan city centre (same point as wuhan_telecom)"),
    ("beijing_cmcc", "Beijing Mobile training/inference centre", "北京移动智算中心", "ai_centre", "110000", "B", "C: >=1,000P (2024) (facts §2) http://www.4huy16.com/thread-864303-1-1.html; point = Beijing centre"),
    ("qingyang_chindata", "Chindata Qingyang zero-carbon base", "秦淮数据庆阳零碳基地", "ai_centre", "621000", "B", "B: facts §2 http://www.hegsqy.com/a/202601/28/WS69796286a310d6866eb361f2.html; point = Qingyang city centre"),
    ("zhongwei_zhongjin", "Zhongjin Data Zhongwei campus", "中金数据中卫园区", "ai_centre", "640500", "B", "B: plan 2,050 MW IT / 820k racks (facts §2) http://news.43b.com.cn/a/1188243.html; point = Zhongwei city centre"),
    ("cq_tenglong", "Chongqing Tenglong 5G park", "重庆腾龙5G产业园", "ai_centre", "500112", "B", "C: 8,000 racks (facts §2) https://hfnxjk.com/datacenter/news/566232.html; point = 渝北区 centre (R)"),
    ("cq_runze", "Runze South-West information port", "润泽西南国际信息港", "ai_centre", "500115", "B", "C: facts §2 https://hfnxjk.com/datacenter/news/566232.html; point = 长寿区 centre (R)"),
    ("hohhot_cmcc", "China Mobile Hohhot data-centre base", "中国移动呼和浩特数据中心", "ai_centre", "150100", "B", "B: Horinger/Hohhot carrier bases, Hohhot 122,000 PF 96% AI (facts §2) https://www.hstong.com/news/detail/25072521230224545; point = Hohhot city centre"),
    ("guian_huawei", "Huawei Cloud Gui'an data centre", "华为云贵安数据中心", "ai_centre", "520400", "B", "B: 400k servers (facts §2) https://www.koreaherald.com/article/10552321; point = Anshun city centre (Gui'an lies between Guiyang and Anshun; E)"),
    ("zjk_chindata", "Chindata Zhangjiakou campus", "秦淮数据张家口园区", "ai_centre", "130730", "B", "B: Chindata among Zhangjiakou operators (facts §2) http://stevenpotter.cn/?page_id=1590&variant=zh-hant; point = 怀来县 centre (R)"),
    ("heyuan", "Heyuan (Alibaba GBA DC)", "河源", "hub", "441600", "B", "R: GBA hub, Alibaba Heyuan DC (recalled, not verified); point = city centre"),
    ("yizheng", "Yizheng (Yangzhou) DC park", "仪征", "hub", "321000", "B", "R: YRD hub, Tencent East China DC (recalled, not verified); point = Yangzhou city centre"),
    ("yancheng", "Yancheng big-data park", "盐城大数据产业园", "hub", "320900", "B", "R: YRD hub (recalled, not verified); point = city centre"),
    ("huzhou", "Huzhou", "湖州", "hub", "330500", "B", "R: YRD hub DC city (recalled, not verified); point = city centre"),
    ("baoding", "Baoding (Baidu cloud DC)", "保定", "hub", "130600", "B", "R: JJJ hub, Baidu cloud computing centre (recalled, not verified); point = city centre"),
    ("chengde", "Chengde", "承德", "hub", "130800", "B", "E: JJJ hub northern city with cool climate; no DC source; point = city centre"),
    ("haidong", "Haidong zero-carbon park", "海东零碳产业园", "ai_centre", "630200", "B", "R: Qinghai green-compute park (recalled, not verified); point = city centre"),
    ("zhangye", "Zhangye data-centre park", "张掖数据中心", "hub", "620700", "B", "R: Gansu hub (recalled, not verified); point = city centre"),
    ("hami", "Hami green compute", "哈密", "ai_centre", "650500", "B", "E: Xinjiang wind/solar base city; no DC source; point = city centre"),
    ("wulanchabu_huawei", "Huawei Cloud Ulanqab", "华为云乌兰察布数据中心", "ai_centre", "150900", "B", "B: Huawei among Ulanqab operators (facts §2) http://www.pecchrd.com/dianping/5556540121; point = Ulanqab city centre"),
    ("yangquan", "Yangquan (Baidu cloud DC)", "阳泉百度云计算中心", "ai_centre", "140300", "B", "R: Baidu Yangquan DC (recalled, not verified); point = city centre"),
]

# One data-centre park per provincial capital: (province_id, capital adcode, capital English).
# The park's point is the capital's city centre (E: the park stands near the capital), except
# where the facts sheet gives the capital's point.
CAPITAL_FACTS = {  # adcode -> ((lat, lon), quality, source)
    "110000": ((39.904, 116.407), "R", "lat/lon R facts §9.1"),
    "310000": ((31.230, 121.474), "R", "lat/lon R facts §9.1"),
    "500000": ((29.56, 106.55), "R", "lat/lon R facts §9.1"),
    "150100": ((40.835, 111.657), "B", "lat/lon B https://wikimili.com/en/Hohhot"),
    "520100": ((26.650, 106.633), "B", "lat/lon B http://piglix.com/piglix/Guiyang"),
    "420100": ((30.593, 114.305), "R", "lat/lon R facts §9.1"),
    "610100": ((34.26, 108.94), "R", "lat/lon R facts §9.1"),
    "630100": ((36.62, 101.78), "R", "lat/lon R facts §9.1"),
    "510100": ((30.66, 104.07), "R", "lat/lon R facts §9.1"),
}
CAPITALS = {
    "110000": "110000", "120000": "120000", "130000": "130100", "140000": "140100",
    "150000": "150100", "210000": "210100", "220000": "220100", "230000": "230100",
    "310000": "310000", "320000": "320100", "330000": "330100", "340000": "340100",
    "350000": "350100", "360000": "360100", "370000": "370100", "410000": "410100",
    "420000": "420100", "430000": "430100", "440000": "440100", "450000": "450100",
    "460000": "460100", "500000": "500000", "510000": "510100", "520000": "520100",
    "530000": "530100", "540000": "540100", "610000": "610100", "620000": "620100",
    "630000": "630100", "640000": "640100", "650000": "650100",
}


def point_in(geo, pid, lat, lon):
    from shapely.geometry import Point, shape
    return shape(geo[pid]["geometry"]).buffer(0.05).contains(Point(lon, lat))


def province_of(geo, lat, lon):
    from shapely.geometry import Point, shape
    p = Point(lon, lat)
    for pid, f in geo.items():
        if shape(f["geometry"]).contains(p):
            return pid
    best = min(geo, key=lambda k: shape(geo[k]["geometry"]).distance(p))
    return best


def build_candidates(ad, geo, cities):
    city_by_code = {c["adcode"]: c for c in cities}
    rows = []
    for sid, en, zh, kind, where, q, src in CANDIDATES:
        if isinstance(where, tuple):
            lat, lon = where
        else:
            r = ad[where]
            lat, lon = r["lat"], r["lon"]
            src += "; point %s %s %s, GCJ-02 converted to WGS 84" % (CPCA_SRC, where, r["name"])
        pid = province_of(geo, lat, lon)
        rows.append((sid, en, zh, pid, lat, lon, kind, q, src))
    for pid, code in CAPITALS.items():
        c = city_by_code[code]
        short = c["name_en"]
        sid = slug(short) + "_park"
        if code in CAPITAL_FACTS:
            (lat, lon), q, s = CAPITAL_FACTS[code]
        else:
            lat, lon, q = float(c["lat"]), float(c["lon"]), "B"
            s = "point = city centre from cities.csv (%s, GCJ-02 converted)" % CPCA_SRC
        src = ("E: one data-centre park near the provincial capital (issue 27); the park's own "
               "position is not sourced, the capital's centre stands in for it; " + s)
        rows.append((sid, "%s capital DC park" % short, c["name_zh"] + "数据中心园区", pid,
                     lat, lon, "capital_park", q, src))
    out = []
    for sid, en, zh, pid, lat, lon, kind, q, src in rows:
        out.append(OrderedDict([
            ("site_id", sid), ("name_en", en), ("name_zh", zh), ("province_id", pid),
            ("lat", "%.5f" % lat), ("lon", "%.5f" % lon), ("kind", kind),
            ("coord_quality", q), ("max_it_mw", ""), ("fixed_cost_cny", ""),
            ("grid_lead_months", ""), ("source", src),
        ]))
    return out


# --------------------------------------------------------------------------------------------
# Provinces
# --------------------------------------------------------------------------------------------
U_FT = "https://www.greenergydaily.com/index.php?id=3999"
U_AVG = "https://china-briefing.com/news/china-electricity-prices-industrial-consumers"
P_FACTS = "E: facts §3.3 central estimate"
P_RULE = ("E: no anchor in facts §3; rule: national average industrial tariff 0.63 CNY/kWh "
          "(B " + U_AVG + ") adjusted by group like the sourced neighbours of facts §3.3 (%s); "
          "low/high = central -/+ 0.08-0.10")
# province_id: (price, low, high, price_source)
PRICES = {
    "110000": (0.75, 0.65, 0.90, P_FACTS + "; coastal premium; Hohhot ~2/3 lower claim (B facts §3.1)"),
    "120000": (0.68, 0.58, 0.80, P_RULE % "coastal north, between Beijing 0.75 and Hebei 0.50-0.60"),
    "130000": (0.50, 0.42, 0.62, P_FACTS + " for Hebei north (Zhangjiakou); high raised to 0.62 for Hebei south (E)"),
    "140000": (0.50, 0.42, 0.58, P_RULE % "coal province, like Shaanxi 0.52"),
    "150000": (0.35, 0.28, 0.42, P_FACTS + "; anchors 0.26-0.28 Mengxi market 2020 / 0.38 Hohhot 2015 / ~0.40 subsidised 2025 (B facts §3.1)"),
    "210000": (0.58, 0.50, 0.66, P_RULE % "north-east, a little below the national average"),
    "220000": (0.58, 0.50, 0.66, P_RULE % "north-east, a little below the national average"),
    "230000": (0.56, 0.48, 0.64, P_RULE % "north-east, a little below the national average"),
    "310000": (0.75, 0.65, 0.90, P_FACTS + "; coastal premium"),
    "320000": (0.70, 0.60, 0.80, P_FACTS + "; unverified flat 0.6965 (C facts §3.1)"),
    "330000": (0.70, 0.60, 0.80, P_FACTS + "; coastal, about Jiangsu"),
    "340000": (0.63, 0.55, 0.72, P_FACTS + "; national average (B " + U_AVG + ")"),
    "350000": (0.65, 0.56, 0.74, P_RULE % "coastal south-east, between Zhejiang 0.70 and Guangdong east"),
    "360000": (0.62, 0.53, 0.71, P_RULE % "central, like Hubei 0.60 and Anhui 0.63"),
    "370000": (0.68, 0.58, 0.78, P_RULE % "coastal; unverified flat 0.7124 (C facts §3.1)"),
    "410000": (0.60, 0.52, 0.70, P_RULE % "central, like Hubei 0.60"),
    "420000": (0.60, 0.52, 0.70, P_FACTS + "; about the national average"),
    "430000": (0.62, 0.53, 0.71, P_RULE % "central, like Hubei 0.60"),
    "440000": (0.70, 0.57, 0.85, P_FACTS + " for the Pearl River Delta; low 0.57 = Shaoguan central (PRD - 0.134, B https://udn.com/news/story/7333/9340112)"),
    "450000": (0.55, 0.45, 0.65, P_RULE % "south-west with hydro, between Guizhou 0.42 and Guangdong 0.70"),
    "460000": (0.65, 0.56, 0.75, P_RULE % "island grid, like Fujian"),
    "500000": (0.58, 0.50, 0.68, P_FACTS + "; between Sichuan and the national average"),
    "510000": (0.45, 0.30, 0.55, P_FACTS + "; anchors <=0.34 Ya'an, ~0.30 wet season (B facts §3.1)"),
    "520000": (0.42, 0.34, 0.50, P_FACTS + "; anchors 0.34-0.35 discounted / 0.50 normal (facts §3.1)"),
    "530000": (0.42, 0.30, 0.52, P_RULE % "hydro south-west, like Sichuan 0.45 and Guizhou 0.42"),
    "540000": (0.45, 0.30, 0.60, P_RULE % "small hydro/solar grid, no anchor; wide range"),
    "610000": (0.52, 0.45, 0.60, P_FACTS + "; NW coal province"),
    "620000": (0.40, 0.33, 0.46, P_FACTS + "; anchor 0.398 Qingyang green power (C facts §3.1)"),
    "630000": (0.36, 0.30, 0.42, P_FACTS + "; no numeric anchor, assumed about Ningxia"),
    "640000": (0.36, 0.30, 0.42, P_FACTS + "; anchor 0.36 Zhongwei 2020 (B http://en.cccweb.org/2020-11/16/content_1486339_2.htm)"),
    "650000": (0.38, 0.30, 0.46, P_RULE % "western coal/wind province, like Ningxia 0.36 and Gansu 0.40; Karamay green subsidy 0.05-0.06 (C facts §3.2)"),
}
# province_id: (capital mean annual temperature °C, quality, source)
R_NORM = "R: 1981-2010 climate normal of the capital, recalled, not verified (+/-0.5 °C)"
TEMPS = {
    "110000": (13.2, "A", "A: NBS 2008-09 single years 13.3-13.4 http://www.stats.gov.cn/tjsj/ndsj/2010/html/L1213e.htm (facts §9.1)"),
    "120000": (12.9, "R", R_NORM), "130000": (13.9, "R", R_NORM), "140000": (10.8, "R", R_NORM),
    "150000": (7.5, "B", "B: Hohhot 7.3-8.0 (facts §2) https://nabkanews.com/prairie-wind-propels-green-computing-power-development-in-north-china-xinhua"),
    "210000": (8.4, "R", R_NORM), "220000": (6.3, "R", R_NORM), "230000": (4.8, "R", R_NORM),
    "310000": (17.3, "A", "A: NBS 2008-09 17.2-17.4 http://www.stats.gov.cn/tjsj/ndsj/2009/html/L1113e.htm (facts §2)"),
    "320000": (15.9, "R", R_NORM),
    "330000": (17.6, "A", "A: NBS Hangzhou 17.5-17.8 http://www.stats.gov.cn/tjsj/ndsj/2009/html/L1113e.htm (facts §2)"),
    "340000": (16.2, "R", R_NORM), "350000": (20.0, "R", R_NORM), "360000": (18.0, "R", R_NORM),
    "370000": (14.7, "R", R_NORM), "410000": (14.8, "R", R_NORM),
    "420000": (17.0, "A", "A: Wuhan 15.8-17.9 (gov/NBS, facts §2) http://en.wehdz.gov.cn/environment/1269.jhtml"),
    "430000": (17.4, "R", R_NORM), "440000": (22.4, "R", R_NORM), "450000": (21.8, "R", R_NORM),
    "460000": (24.3, "R", R_NORM),
    "500000": (18.7, "A", "A: NBS 18.5-19.0 (facts §2)"),
    "510000": (16.5, "A", "A: NBS 16.3-16.8 (facts §2)"),
    "520000": (15.3, "B", "B: https://www.visitourchina.com/guiyang/guide/guiyang-weather.html (facts §2)"),
    "530000": (15.1, "R", R_NORM), "540000": (8.3, "R", R_NORM),
    "610000": (14.5, "B", "B: CMA 1981-2010 14.1 / Xi'an gov 15.5 (facts §2) http://en.xasourcing.gov.cn/xasourcing/en/gac/"),
    "620000": (10.3, "R", R_NORM), "630000": (6.1, "B", "B: https://primidi.com/xining/geography (facts §2)"),
    "640000": (9.5, "R", R_NORM), "650000": (7.3, "R", R_NORM),
}
# PUE caps sourced in facts §1.3 / §9.3: province_id -> (cluster start-zone cap, quality, source)
PUE_CLUSTER = {
    "130000": (1.25, "E", "E: Zhangjiakou, inferred from the east-hub 复函 template (facts §1.3)"),
    "310000": (1.25, "A", "A: YRD demo zone " + U_ZSLIJIA),
    "320000": (1.25, "A", "A: YRD demo zone " + U_ZSLIJIA),
    "330000": (1.25, "A", "A: YRD demo zone " + U_ZSLIJIA),
    "340000": (1.25, "A", "A: Wuhu " + U_ZSLIJIA),
    "440000": (1.25, "A", "A: Shaoguan " + U_SHAOGUAN),
    "510000": (1.25, "E", "E: Tianfu, inferred from the east-hub template (facts §1.3)"),
    "500000": (1.25, "E", "E: Chongqing, inferred from the east-hub template (facts §1.3)"),
    "150000": (1.20, "E", "E: Horinger, inferred from the west-hub template (facts §1.3)"),
    "520000": (1.20, "E", "E: Gui'an, inferred from the west-hub template (facts §1.3)"),
    "620000": (1.20, "B", "B: Qingyang " + U_QINGYANG),
    "640000": (1.20, "E", "E: Zhongwei, inferred from the west-hub template (facts §1.3)"),
}
PUE_LOCAL = {
    "110000": (1.35, "B", "B: Beijing: existing DCs to PUE <=1.35 by 2027, penalty tariff above 1.35 from 2026 https://chinastarmarket.cn/detail/1860079"),
    "310000": (1.25, "B", "B: Shanghai: new large DCs in 集聚区 PUE <=1.25 by 2025 http://baoji.gqsoso.com/baoji/20230419/910608.html"),
}
PUE_NATIONAL = (1.30, "B", "B: new large DC <1.3 (2021 plan) / GB 40879 grade 2 = 1.30 http://www.fszcwj.com/a/zixunzhongxin/ruanzhuangzixun/423.html")


def build_provinces(geo):
    out = []
    for pid in sorted(geo):
        p = geo[pid]["properties"]
        if not p["mainland"]:
            continue
        price, low, high, psrc = PRICES[pid]
        t, tq, tsrc = TEMPS[pid]
        cl = PUE_CLUSTER.get(pid)
        lo = PUE_LOCAL.get(pid)
        parts = ["price " + psrc, "capital_temp " + tsrc, "pue_cap_new_large " + PUE_NATIONAL[2]]
        if cl:
            parts.append("pue_cap_cluster " + cl[2])
        if lo:
            parts.append("pue_cap_local " + lo[2])
        parts.append("power/energy quotas: none sourced (facts §4 has the rules, no provincial figures)")
        out.append(OrderedDict([
            ("province_id", pid), ("name_zh", p["name_zh"]), ("name_en", p["name_en"]),
            ("price_cny_per_kwh", "%.2f" % price), ("low", "%.2f" % low), ("high", "%.2f" % high),
            ("price_quality", "E"),
            ("capital_mean_temp_c", "%.1f" % t), ("temp_quality", tq),
            ("pue_cap_new_large", "%.2f" % PUE_NATIONAL[0]),
            ("pue_cap_cluster", "%.2f" % cl[0] if cl else ""), ("pue_cluster_quality", cl[1] if cl else ""),
            ("pue_cap_local", "%.2f" % lo[0] if lo else ""),
            ("power_quota_mw", ""), ("energy_quota_tce", ""),
            ("source", "; ".join(parts)),
        ]))
    return out


def write(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


# Points that lie outside the schematic provinces.geojson for a known reason.
OFF_POLYGON = {"460300": "Sansha's seat is on Yongxing Island (Paracels, about 2.7 degrees from the "
                         "schematic Hainan polygon, which leaves out the South China Sea islands)"}


def check(geo, cities, cands):
    ok = True
    ids = Counter(c["node_id"] for c in cities)
    for k, v in ids.items():
        if v > 1:
            print("duplicate node_id", k); ok = False
    sids = Counter(c["site_id"] for c in cands)
    for k, v in sids.items():
        if v > 1:
            print("duplicate site_id", k); ok = False
    for c in cities:
        if c["adcode"] in OFF_POLYGON:
            print("known exception:", c["node_id"], OFF_POLYGON[c["adcode"]])
            continue
        if not point_in(geo, c["province_id"], float(c["lat"]), float(c["lon"])):
            print("city outside its province:", c["node_id"], c["province_id"]); ok = False
    for m in MUNICIPALITIES:
        if m not in {c["adcode"] for c in cities}:
            print("municipality missing", m); ok = False
    sums = Counter()
    for c in cities:
        if c["population"] != "":
            sums[c["province_id"]] += int(c["population"])
    print("recalled city populations against the census provincial totals (ratio < 1: "
          "county-level units directly under the province, e.g. Hubei, Henan, Hainan, Xinjiang):")
    for pid in sorted(sums):
        r = sums[pid] / PROV_POP_2020[pid]
        flag = "" if r <= 1.003 else "  <-- over the provincial total"
        print("  %s %.3f%s" % (pid, r, flag))
        if r > 1.003:
            ok = False
    for c in cands:
        m = re.search(r"adcodes\.csv (\d{6})", c["source"])
        if m and m.group(1)[:2] + "0000" != c["province_id"]:
            print("candidate in another province than its cpca code:", c["site_id"]); ok = False
    per = Counter(c["province_id"] for c in cities)
    kinds = Counter(c["kind"] for c in cands)
    print("cities per province:")
    for pid in sorted(per):
        print("  %s %-16s %3d" % (pid, geo[pid]["properties"]["name_en"], per[pid]))
    print("cities: %d, candidates: %d %s" % (len(cities), len(cands), dict(kinds)))
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wheel", help="local cpca-0.5.5 wheel (else pip download)")
    a = ap.parse_args()
    ad = load_cpca(a.wheel)
    geo = provinces_geo()
    cities = build_cities(ad, geo)
    cands = build_candidates(ad, geo, cities)
    provs = build_provinces(geo)
    write(os.path.join(HERE, "cities.csv"), cities)
    write(os.path.join(HERE, "candidates.csv"), cands)
    write(os.path.join(HERE, "provinces.csv"), provs)
    if not check(geo, cities, cands):
        sys.exit(1)


if __name__ == "__main__":
    main()
