"""Government bodies' names and the short forms staff write them in (data/bodies.csv, made by
scripts/make_bodies.py): 发改委 is 发展和改革委员会, 市监局 市场监督管理局, 江苏民政 江苏省民政厅.

Questions name a body by any of its forms (understand.IssuerKinds takes each body as a group);
reports and file names that write a short form are read as the full name (analyse.expand)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache

from retrieval.paths import PACKAGE_DATA


@dataclass(frozen=True, slots=True)
class Body:
    """One body: its full names (a county's or city's first, then a province's), its short
    forms, and its stem (民政), which names it only right after a place."""

    names: tuple[str, ...]
    short: tuple[str, ...]
    stem: str

    @property
    def forms(self) -> tuple[str, ...]:
        """Every form but the stem."""
        return (*self.names, *self.short)


@cache
def bodies() -> tuple[Body, ...]:
    """The bundled table, read once."""
    out: list[Body] = []
    with (PACKAGE_DATA / "bodies.csv").open(encoding="utf-8") as f:
        rows = csv.reader(line for line in f if not line.startswith("#"))
        next(rows)  # header
        for full, forms in rows:
            words = forms.split()
            stem = words[-1]
            names = tuple(w for w in words[:-1] if w == full or _same_body(w, full))
            short = tuple(w for w in words[:-1] if w not in names)
            out.append(Body(names, short, stem))
    return tuple(out)


def _same_body(name: str, full: str) -> bool:
    """Whether `name` is `full` at another level (民政厅 for 民政局): the same but its last
    character, and as long."""
    return len(name) == len(full) and name[:-1] == full[:-1] and name[-1] in "厅局委"


def full_name(short: str) -> str | None:
    """The full name a short form stands for, at the level its last character says (人社厅 →
    人力资源和社会保障局, 发改委 → 发展和改革委员会); None for a name that is no short form, or
    whose level no full name has (教委 is a 教育委员会, not the table's 教育局)."""
    for body in bodies():
        if short in body.short:
            return next((n for n in body.names if _level_of(n) == _level_of(short)), None)
    return None


def _level_of(name: str) -> str:
    return "委" if name.endswith(("委", "委员会")) else name[-1]
