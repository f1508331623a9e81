#!/usr/bin/env bash
# Regenerates data/provinces.geojson (China's provincial-level divisions, schematic) from DCW-GMT.
# Maintainer-only: no build or test runs it, so scripts/setup.sh does not install what it needs:
#   gmt, gmt-dcw (Debian)   `gmt coast -E` dumps the DCW-GMT 2.1.1 polygons of each division
#   gdal-bin                ogr2ogr collects the polygons into one GeoJSON
#   mapshaper 0.7.70 (npm)  topology-aware dissolve, island filter, clean, simplify, join, rounding
# Usage: bash scripts/make_provinces.sh   (from the repository root; writes data/provinces.geojson)
# data/SOURCES.md records the source, its licence and these steps; data/README.md the columns.
set -euo pipefail

out="$PWD/data/provinces.geojson"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work" # gmt writes gmt.history into the working folder
mapshaper=(npx --yes mapshaper@0.7.70)

# DCW-GMT state code (CN.xx) -> GB/T 2260 code, names, the data/regions.csv region it belongs to
# (empty = none; data/README.md gives the reasons), and whether it is one of the 31 mainland divisions.
cat > "$work/attrs.csv" <<'EOF'
dcw,province_id,name_zh,name_en,region_id,mainland
BJ,110000,北京市,Beijing,jjj,true
TJ,120000,天津市,Tianjin,jjj,true
HE,130000,河北省,Hebei,jjj,true
SX,140000,山西省,Shanxi,,true
NM,150000,内蒙古自治区,Inner Mongolia,inner_mongolia,true
LN,210000,辽宁省,Liaoning,,true
JL,220000,吉林省,Jilin,,true
HL,230000,黑龙江省,Heilongjiang,,true
SH,310000,上海市,Shanghai,yrd,true
JS,320000,江苏省,Jiangsu,yrd,true
ZJ,330000,浙江省,Zhejiang,yrd,true
AH,340000,安徽省,Anhui,yrd,true
FJ,350000,福建省,Fujian,,true
JX,360000,江西省,Jiangxi,,true
SD,370000,山东省,Shandong,,true
HA,410000,河南省,Henan,,true
HB,420000,湖北省,Hubei,central,true
HN,430000,湖南省,Hunan,,true
GD,440000,广东省,Guangdong,gba,true
GX,450000,广西壮族自治区,Guangxi,,true
HI,460000,海南省,Hainan,,true
CQ,500000,重庆市,Chongqing,cy,true
SC,510000,四川省,Sichuan,cy,true
GZ,520000,贵州省,Guizhou,guizhou,true
YN,530000,云南省,Yunnan,,true
XZ,540000,西藏自治区,Tibet,,true
SN,610000,陕西省,Shaanxi,xian,true
GS,620000,甘肃省,Gansu,gansu,true
QH,630000,青海省,Qinghai,qinghai,true
NX,640000,宁夏回族自治区,Ningxia,ningxia,true
XJ,650000,新疆维吾尔自治区,Xinjiang,,true
TW,710000,台湾省,Taiwan,,false
HK,810000,香港特别行政区,Hong Kong,,false
MO,820000,澳门特别行政区,Macao,,false
EOF

# 1. One OGR/GMT polygon file per division (each DCW segment a polygon), then one GeoJSON of all segments.
for c in $(tail -n +2 "$work/attrs.csv" | cut -d, -f1); do
  gmt coast -ECN."$c" -M > "$work/$c.txt"
  gmt convert "$work/$c.txt" -fg -a+gPOLY > "$work/$c.gmt"
  ogr2ogr -f GeoJSON -append -nln all -dialect sqlite \
    -sql "select geometry, '$c' as dcw from \"$c\"" "$work/all.geojson" "$work/$c.gmt"
done

# 2. Dissolve segments per division, drop islands under 20 km2, close the gaps and overlaps between
#    neighbours (DCW's state outlines are not a shared topology), simplify to 2 % of the vertices
#    (Macao, a few km across, keeps all of its own), attach the attributes, round to 4 decimals.
"${mapshaper[@]}" -i "$work/all.geojson" snap -dissolve dcw \
  -filter-islands min-area=20km2 -clean gap-fill-area=50km2 \
  -simplify variable percentage='dcw == "MO" ? 1 : 0.02' keep-shapes -clean \
  -join "$work/attrs.csv" keys=dcw,dcw \
    field-types=dcw:str,province_id:number,name_zh:str,name_en:str,region_id:str,mainland:str \
  -each 'mainland = mainland === "true"; region_id = region_id ? region_id : null; delete dcw' \
  -sort 'province_id' \
  -o "$out" precision=0.0001 format=geojson

# 3. Every geometry must be valid (GEOS via GDAL's SQLite dialect).
invalid=$(ogrinfo -q -dialect sqlite -sql "select count(*) as n from provinces where not st_isvalid(geometry)" "$out" \
  | sed -n 's/.*n (Integer) = //p')
[ "$invalid" = "0" ] || { echo "make_provinces: $invalid invalid geometries" >&2; exit 1; }
echo "make_provinces: wrote $out ($(wc -c < "$out") bytes)"
