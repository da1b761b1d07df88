"""Regenerate data/bodies.csv, the table of government bodies' names and the short forms staff
write for them (发改委 = 发展和改革委员会 = 发展改革委, 市监局 = 市场监督管理局 …).

    python scripts/make_bodies.py

Sources (compiled 2026-12-07):
- The departments' standard names: the State Council's departments as set up in 2023
  (《国务院关于机构设置的通知》国发〔2023〕5号) and the matching departments of provincial,
  city and county governments as the 2018 and 2023 institutional reforms name them
  (地方机构改革方案); official names, facts not subject to copyright.
- Their short forms: the abbreviations those governments use themselves in documents and on
  their sites (发改委, 住建局, 人社局, 卫健委, 医保局, 市监局 …), listed by hand below.
- The level words: data/places.csv (cpca, MIT licence) tells a province (…0000: a 厅 or 委),
  a city and a county (a 局 or 委) apart; each body is written at each level it has.

The table is data/bodies.csv (CC0, like this script's own list): one body per line,
`full,forms`, its forms separated by spaces: the full names at each level, their short forms,
and the body's stem (民政), which a question may write after a place (江苏民政 → 江苏省民政厅).
Standard library only; nothing is downloaded, and the file ships.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"

# (stem, name at province level, name at city/county level, short forms). A name of None: the
# body has no such level. The stem is what the body is about, as written after a place.
BODIES: tuple[tuple[str, str | None, str | None, tuple[str, ...]], ...] = (
    ("发改", "发展和改革委员会", "发展和改革委员会", ("发改委", "发展改革委", "发改局", "发展和改革局")),
    ("教育", "教育厅", "教育局", ("教委", "教育委员会", "教体局", "教育和体育局")),
    ("科技", "科学技术厅", "科学技术局", ("科技厅", "科技局")),
    ("工信", "工业和信息化厅", "工业和信息化局", ("工信厅", "工信局", "经信局", "经济和信息化局")),
    ("民族宗教", "民族宗教事务委员会", "民族宗教事务局", ("民宗委", "民宗局")),
    ("公安", "公安厅", "公安局", ()),
    ("民政", "民政厅", "民政局", ()),
    ("司法", "司法厅", "司法局", ()),
    ("财政", "财政厅", "财政局", ()),
    ("人社", "人力资源和社会保障厅", "人力资源和社会保障局", ("人社厅", "人社局")),
    ("自然资源", "自然资源厅", "自然资源局", ("自然资源和规划局", "自规局", "资规局")),
    ("生态环境", "生态环境厅", "生态环境局", ("环保局", "环保厅", "生态环境分局")),
    ("住建", "住房和城乡建设厅", "住房和城乡建设局", ("住建厅", "住建局", "住建委", "住房城乡建设局")),
    ("交通", "交通运输厅", "交通运输局", ("交通厅", "交通局", "交运局")),
    ("水利", "水利厅", "水利局", ("水务局",)),
    ("农业农村", "农业农村厅", "农业农村局", ("农业局", "农农局")),
    ("商务", "商务厅", "商务局", ()),
    ("文旅", "文化和旅游厅", "文化和旅游局", ("文旅厅", "文旅局", "文化广电旅游局", "文广旅局")),
    ("卫健", "卫生健康委员会", "卫生健康委员会", ("卫健委", "卫生健康委", "卫健局", "卫生健康局")),
    ("退役军人", "退役军人事务厅", "退役军人事务局", ("退役军人局", "退役军人厅")),
    ("应急", "应急管理厅", "应急管理局", ("应急局", "应急厅")),
    ("审计", "审计厅", "审计局", ()),
    ("国资", "国有资产监督管理委员会", "国有资产监督管理委员会", ("国资委",)),
    ("市场监管", "市场监督管理局", "市场监督管理局", ("市监局", "市场监管局")),
    ("体育", "体育局", "体育局", ()),
    ("统计", "统计局", "统计局", ()),
    ("医保", "医疗保障局", "医疗保障局", ("医保局",)),
    ("林业", "林业局", "林业局", ("林草局", "林业和草原局")),
    ("信访", "信访局", "信访局", ()),
    (
        "行政审批",
        "政务服务管理局",
        "行政审批服务局",
        ("审批局", "政务服务局", "数据局", "政务服务和数据管理局"),
    ),
    ("城管", None, "城市管理局", ("城管局", "综合行政执法局", "城市管理综合行政执法局", "综合执法局")),
    ("税务", "税务局", "税务局", ()),
    ("粮食", "粮食和物资储备局", "粮食和物资储备局", ("粮储局",)),
    ("人防", "人民防空办公室", "人民防空办公室", ("人防办",)),
    ("地方金融", "地方金融监督管理局", "地方金融监督管理局", ("金融办", "金融局")),
)


def _level_words(places: Path) -> tuple[int, int]:
    """How many provinces and how many cities and counties the division data has: a body is
    written at a level only where the table has places of it."""
    provinces = others = 0
    with places.open(encoding="utf-8") as f:
        rows = csv.reader(line for line in f if not line.startswith("#"))
        next(rows)
        for code, _name in rows:
            if code.endswith("0000"):
                provinces += 1
            else:
                others += 1
    return provinces, others


def rows(places: Path) -> list[tuple[str, list[str]]]:
    """Each body's full name (its city/county form, else its province form) and every form
    it goes by."""
    provinces, others = _level_words(places)
    out: list[tuple[str, list[str]]] = []
    for stem, province, local, short in BODIES:
        names = [n for n, has in ((local, others), (province, provinces)) if n and has]
        forms = list(dict.fromkeys([*names, *short, stem]))
        out.append((names[0], forms))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--places", type=Path, default=DATA / "places.csv")
    parser.add_argument("--out", type=Path, default=DATA / "bodies.csv")
    args = parser.parse_args()
    lines = [
        "# Government bodies and the forms staff write them in: full,forms (space-separated;",
        "# the last form is the body's stem). Made by scripts/make_bodies.py on 2026-12-07 from",
        "# the State Council's and local governments' standard department names (国发〔2023〕5号,",
        "# 地方机构改革方案) and data/places.csv (cpca, MIT). CC0.",
        "full,forms",
        *(f"{full},{' '.join(forms)}" for full, forms in rows(args.places)),
    ]
    args.out.write_text("\n".join(lines) + "\n", "utf-8")
    print(f"wrote {args.out} ({len(lines) - 5} bodies)")


if __name__ == "__main__":
    main()
