"""The report's inline stylesheet: screen, and print on A4 (every text colour ≥ 4.5:1 on its background)."""

from __future__ import annotations

from services.scoring.entrypoints.report_charts import PEER_COLOUR, SCORE_COLOUR, TARGET_COLOUR

#: Advice headings: green 5.9:1, brown 5.0:1 and red 5.5:1 on white.
STRENGTH_COLOUR, ATTENTION_COLOUR, IMPROVE_COLOUR = "#1b7340", TARGET_COLOUR, "#c53030"

BASE = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;background:#f5f6f8;
color:#1d2430;
line-height:1.45}
header,main,footer{max-width:1040px;margin:0 auto;padding:0 24px} header{padding-top:24px}
h1{font-size:26px;margin:0 0 4px}
h2{font-size:19px;margin:28px 0 12px;border-bottom:2px solid #dfe3ea;padding-bottom:4px}
h3{font-size:16px;margin:0 0 6px}
.meta{color:#4a5361;font-size:14px} .card{background:#fff;border-radius:10px;padding:18px;
box-shadow:0 1px 3px rgba(0,0,0,.08);margin-bottom:14px}
a{color:#1d4ed8} a:focus-visible,summary:focus-visible{outline:3px solid #1d4ed8;outline-offset:2px}
code{font-size:14px;background:#eef1f5;padding:1px 4px;border-radius:3px;color:#1d2430}
.visually-hidden{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;
clip:rect(0,0,0,0);
white-space:nowrap;border:0}
"""

REPORT = f"""
.actions{{margin:10px 0 0;font-size:15px}}
.grid{{display:grid;grid-template-columns:1fr 1fr;gap:20px}} .grid .card{{margin:0}}
.overall{{font-size:48px;font-weight:700;color:{SCORE_COLOUR};margin:0}}
.overall small{{font-size:22px;color:#4a5361}}
.scale{{padding-left:18px;font-size:14px;margin:6px 0}}
.bar{{display:flex;align-items:center;gap:10px;margin:6px 0;font-size:14px}}
.bar .label{{width:230px}}
.bar .track{{flex:1;background:#e8ebf0;border-radius:4px;height:14px;position:relative}}
.bar .fill{{background:{SCORE_COLOUR};height:14px;border-radius:4px}}
.bar .target{{position:absolute;top:-3px;width:3px;height:20px;margin-left:-1px;background:{TARGET_COLOUR}}}
.bar .peer{{position:absolute;top:-3px;width:4px;height:20px;margin-left:-2px;background:{PEER_COLOUR}}}
.bar .value{{width:48px;text-align:right;font-variant-numeric:tabular-nums}}
.legend{{font-size:14px;margin:4px 0 8px}}
.legend .swatch{{display:inline-block;width:12px;height:12px;margin:0 6px 0 14px;vertical-align:middle}}
.legend .swatch:first-child{{margin-left:0}} .peers{{margin:8px 0;font-size:14px}}
table{{border-collapse:collapse;width:100%;font-size:14px;margin-top:8px}}
caption{{text-align:left;font-size:14px;color:#4a5361;padding-bottom:4px}}
th,td{{text-align:left;padding:5px 8px;border-bottom:1px solid #e3e6eb}}
td.num{{text-align:right;font-variant-numeric:tabular-nums}}
details{{margin:8px 0}} summary{{cursor:pointer;color:#1d4ed8;font-size:14px;padding:4px 0}}
.advice{{display:grid;grid-template-columns:repeat(3,1fr);gap:14px}} .advice .card{{margin:0}}
.advice ul{{padding-left:18px;margin:6px 0;font-size:14px}} .advice li{{margin-bottom:4px}}
.strength h3{{color:{STRENGTH_COLOUR}}} .attention h3{{color:{ATTENTION_COLOUR}}}
.improve h3{{color:{IMPROVE_COLOUR}}}
ol.roadmap li{{margin-bottom:10px;font-size:14px}} ol.roadmap ul{{margin:4px 0;color:#3c4656}}
.delta-up{{color:{STRENGTH_COLOUR}}} .delta-down{{color:{IMPROVE_COLOUR}}}
.method li{{font-size:13px;color:#3c4656;margin-bottom:4px}}
@media (max-width:760px){{.grid,.advice{{grid-template-columns:1fr}} .bar .label{{width:140px}}}}
@page{{size:A4;margin:14mm 12mm}}
@media print{{
body{{background:#fff;font-size:12px}} header,main,footer{{max-width:none;padding:0}}
.card{{box-shadow:none;border:1px solid #dfe3ea;break-inside:avoid}} h2{{break-after:avoid}}
.no-print{{display:none}} .grid{{grid-template-columns:1fr 1fr}} .advice{{grid-template-columns:1fr}}
@supports selector(details::details-content){{
details::details-content{{content-visibility:visible;display:contents}} summary{{display:none}}}}
*{{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
}}
"""
