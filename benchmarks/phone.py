"""Pictures of the bot's answers as a 390 px phone shows them, and their heights.

    .venv/bin/python benchmarks/phone.py --out /tmp/phone [QUESTION ...]

Renders each answer (the Telegram HTML and keyboard the bot sends) in the system's headless
Chromium through tests/phone.py, on the bundled reports plus tests/data/corpus-dev, writes one
PNG per question into --out (never into the repository) and prints each height against the
room a phone screen leaves between Telegram's top bar and its input bar.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.core.conversation import answer_part
from bot.telegram import render
from retrieval.library import Library
from tests import phone
from tests.conftest import TESTS_DATA, make_settings

QUESTIONS = (
    "秀山县政务公开数据",
    "安化县政协提案立案率是多少",
    "潢川县和安化县哪个立案率高",
    "临城县行政复议案件多少件",
    "哪些地方培养了法律明白人",
    "收录了哪些报告",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("questions", nargs="*", default=QUESTIONS)
    parser.add_argument("--out", type=Path, required=True, help="folder for the pictures")
    args = parser.parse_args()
    if phone.CHROMIUM is None:
        sys.exit("no Chromium found: apt-get install chromium fonts-wqy-zenhei")
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        library = Library(make_settings(Path(tmp) / "data"))
        library.ingest([TESTS_DATA / "corpus-dev" / "reports"])
        with phone.phone() as page:
            for i, question in enumerate(args.questions):
                # As the bot pages an answer: three excerpts, a fourth telling a next page exists
                # (a comparison is one message, every side in it).
                answer = library.ask(question, k=4)
                has_more = len(answer.hits) > 3 and not answer.groups
                if not answer.groups:
                    answer = dataclasses.replace(answer, hits=answer.hits[:3])
                part = answer_part(answer, 1, 0, has_more, 3)
                text, keyboard = render.answer_html(part), render.keyboard(part.actions)
                picture = args.out / f"{i:02d}.png"
                shown = phone.show(page, [(text, keyboard)], picture)
                fits = "fits" if shown.total <= phone.CHAT_AREA else "scrolls"
                print(f"{shown.total:4d} px of {phone.CHAT_AREA} ({fits})  {picture}  {question}")


if __name__ == "__main__":
    main()
