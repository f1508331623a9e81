"""Opens a dcsite QGIS project (plan.qgz) in real QGIS, offscreen, and prints
one JSON object with what QGIS sees: every layer (valid, provider, source,
feature count, renderer type, symbol colours, labels and their text for the
first feature in zh and in en), the project CRS and variables, the print
layout's items, and the layout exported to PNG and PDF with pixel counts.

Run by tests/system/qgis_project.rs with Debian's /usr/bin/python3 (python3-qgis):
    QT_QPA_PLATFORM=offscreen python3 qgis_check.py <plan.qgz> <out-folder>
The Rust test asserts; this script only measures.
"""

import json
import os
import sys

from qgis.core import (
    QgsApplication,
    QgsExpression,
    QgsExpressionContext,
    QgsExpressionContextUtils,
    QgsLayoutExporter,
    QgsLayoutItemLabel,
    QgsLayoutItemLegend,
    QgsLayoutItemMap,
    QgsLayoutItemPicture,
    QgsLayoutItemScaleBar,
    QgsProject,
    QgsRenderContext,
)

QgsApplication.setPrefixPath("/usr", True)
app = QgsApplication([], False)
app.initQgis()

qgz, out = sys.argv[1], sys.argv[2]
project = QgsProject.instance()
result = {"read": project.read(qgz)}
result["crs"] = {
    "valid": project.crs().isValid(),
    "proj": project.crs().toProj(),
    "geographic": project.crs().isGeographic(),
}
scope = QgsExpressionContextUtils.projectScope(project)
result["variables"] = {
    n: scope.variable(n) for n in scope.variableNames() if n.startswith("dcsite")
}


def label_text(layer, feature, lang):
    """The label of `feature` with the project variable dcsite_lang = lang."""
    if not layer.labelsEnabled() or layer.labeling() is None:
        return None
    settings = layer.labeling().settings()
    context = QgsExpressionContext()
    context.appendScopes(QgsExpressionContextUtils.globalProjectLayerScopes(layer))
    context.lastScope().setVariable("dcsite_lang", lang)
    context.setFeature(feature)
    if settings.isExpression:
        value = QgsExpression(settings.fieldName).evaluate(context)
    else:
        value = feature[settings.fieldName]
    return None if value is None else str(value)


layers = []
root = project.layerTreeRoot()
for tree_layer in root.findLayers():
    layer = tree_layer.layer()
    entry = {"name": tree_layer.name(), "valid": layer is not None and layer.isValid()}
    if entry["valid"]:
        renderer = layer.renderer()
        context = QgsRenderContext()
        symbols = renderer.symbols(context) if renderer else []
        colours = []
        for s in symbols:
            for i in range(s.symbolLayerCount()):
                sl = s.symbolLayer(i)
                props = sl.properties()
                colours.append(
                    {k: props[k] for k in ("color", "outline_color", "line_color", "style", "outline_style", "name") if k in props}
                )
        entry.update(
            {
                "provider": layer.providerType(),
                "source": layer.source(),
                "count": layer.featureCount(),
                "crs": layer.crs().authid(),
                "renderer": renderer.type() if renderer else None,
                "symbols": colours,
                "labels": layer.labelsEnabled(),
                "visible": tree_layer.isVisible(),
            }
        )
        if renderer and renderer.type() == "categorizedSymbol":
            entry["categories"] = [str(c.value()) for c in renderer.categories()]
        # The first feature that has a label (built sites only, for sites).
        entry["label_zh"] = entry["label_en"] = None
        for feature in layer.getFeatures():
            zh = label_text(layer, feature, "zh")
            if zh:
                entry["label_zh"] = zh
                entry["label_en"] = label_text(layer, feature, "en")
                entry["label_feature"] = {
                    k: feature[k] for k in ("name_zh", "name_en") if k in feature.fields().names()
                }
                break
        entry["labelled"] = sum(
            1 for f in layer.getFeatures() if label_text(layer, f, "zh")
        ) if layer.labelsEnabled() else 0
    layers.append(entry)
result["layers"] = layers
result["layer_order"] = [l.name() for l in root.layerOrder()]

manager = project.layoutManager()
result["layouts"] = [l.name() for l in manager.layouts()]
layout = manager.layouts()[0] if manager.layouts() else None
if layout is not None:
    page = layout.pageCollection().page(0).pageSize()
    result["page_mm"] = [page.width(), page.height()]
    items = []
    dpi = 150
    px = dpi / 25.4
    for item in layout.items():
        kind = None
        if isinstance(item, QgsLayoutItemMap):
            kind = "map"
        elif isinstance(item, QgsLayoutItemLegend):
            kind = "legend"
        elif isinstance(item, QgsLayoutItemScaleBar):
            kind = "scalebar"
        elif isinstance(item, QgsLayoutItemPicture):
            kind = "picture"
        elif isinstance(item, QgsLayoutItemLabel):
            kind = "label"
        if kind is None:
            continue
        r = item.sceneBoundingRect()
        entry = {"kind": kind, "rect_px": [r.x() * px, r.y() * px, r.width() * px, r.height() * px]}
        if kind == "label":
            entry["text"] = item.currentText()
        if kind == "picture":
            entry["svg"] = item.evaluatedPath()
            entry["svg_exists"] = os.path.exists(item.evaluatedPath())
        if kind == "map":
            e = item.extent()
            entry["extent"] = [e.xMinimum(), e.yMinimum(), e.xMaximum(), e.yMaximum()]
            entry["layers"] = [l.name() for l in item.layersToRender()]
        if kind == "scalebar":
            entry["units"] = item.unitLabel()
            entry["segment"] = item.unitsPerSegment()
        if kind == "legend":
            entry["title"] = item.title()
            entry["entries"] = item.model().rowCount()
        items.append(entry)
    result["items"] = items

    exporter = QgsLayoutExporter(layout)
    png = os.path.join(out, "layout.png")
    settings = QgsLayoutExporter.ImageExportSettings()
    settings.dpi = dpi
    result["png_status"] = exporter.exportToImage(png, settings)
    pdf = os.path.join(out, "layout.pdf")
    result["pdf_status"] = exporter.exportToPdf(pdf, QgsLayoutExporter.PdfExportSettings())

    from qgis.PyQt.QtGui import QImage

    def counts(path):
        """Per item kind: pixels not white, and neutral grey pixels
        (|r-g|, |g-b| <= 8, 120 <= r <= 180) inside the item's rectangle."""
        image = QImage(path)
        out = {"size": [image.width(), image.height()]}
        for entry in items:
            x, y, w, h = (int(round(v)) for v in entry["rect_px"])
            nonwhite = grey = 0
            for yy in range(max(y, 0), min(y + h, image.height()), 2):
                for xx in range(max(x, 0), min(x + w, image.width()), 2):
                    c = image.pixelColor(xx, yy)
                    r, g, b = c.red(), c.green(), c.blue()
                    if (r, g, b) != (255, 255, 255):
                        nonwhite += 1
                    if abs(r - g) <= 8 and abs(g - b) <= 8 and 120 <= r <= 180:
                        grey += 1
            out.setdefault(entry["kind"], []).append({"nonwhite": nonwhite, "grey": grey})
        return out

    result["png"] = counts(png)
    # The same layout without the province boundaries: the grey they add.
    provinces = [t for t in root.findLayers() if t.layer() and t.layer().name().endswith("provinces")]
    if provinces:
        provinces[0].setItemVisibilityChecked(False)
        bare = os.path.join(out, "layout_no_provinces.png")
        exporter.exportToImage(bare, settings)
        result["png_no_provinces"] = counts(bare)
        provinces[0].setItemVisibilityChecked(True)

print(json.dumps(result, ensure_ascii=False))
sys.stdout.flush()
# QGIS 3.22 standalone scripts may crash in exitQgis(); the results are out.
os._exit(0)
