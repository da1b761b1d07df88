"""Shared fixtures: settings pointing at a temporary data directory, and libraries built from
the bundled reports (real SQLite, real index, in tmp dirs)."""

from __future__ import annotations

import importlib.resources
import io
import json
import shutil
import sqlite3
import threading
import time
import zipfile
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import docx
import pytest
from docx.document import Document as DocxDocument
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from bot.telegram.app import build_application
from bot.telegram.context import App
from retrieval.config import Settings
from retrieval.library import Library
from retrieval.models import Report
from retrieval.places import PACKAGE_DATA
from tests.fake_telegram import FakeTelegram

TESTS_DATA = Path(__file__).parent / "data"
BUNDLED_REPORTS = PACKAGE_DATA / "reports"


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    """Settings for a test: a private data dir, no .env, nothing from the environment's token,
    and links fetched from the tests' own web server on 127.0.0.1 (an internal address)."""
    overrides.setdefault("fetch_allow", ("127.0.0.1",))
    return Settings(_env_file=None, data_dir=data_dir, **overrides)  # type: ignore[call-arg]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data")


@pytest.fixture
def library(settings: Settings) -> Iterator[Library]:
    """A fresh library seeded from the bundled reports; safe to change."""
    lib = Library(settings)
    yield lib
    lib.store.close()


@pytest.fixture(scope="session")
def shared_library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    """One library for the whole session, for tests that only ask questions."""
    lib = Library(make_settings(tmp_path_factory.mktemp("shared") / "data"))
    yield lib
    lib.store.close()


@pytest.fixture
def empty_settings(tmp_path: Path) -> Settings:
    """Settings whose bundled-reports folder is empty, so the library starts with nothing."""
    empty = tmp_path / "no-reports"
    empty.mkdir()
    return make_settings(tmp_path / "data", bundled_reports=empty)


# A report for a place none of the bundled ones covers (汝城县, 湖南省郴州市).
RUCHENG = "\n".join(
    [
        "汝城县人民政府办公室",
        "2023年法治政府建设工作报告",
        "2023年，汝城县人民政府办公室坚持以习近平法治思想为指导，扎实推进法治政府建设，现将有关情况报告如下。",
        "一、主要举措和成效",
        "（一）强化行政复议。全年办理行政复议案件37件，纠错率12%，复议质效持续提升。",
        "（二）推进政务公开。主动公开政府信息5210条，回应群众关切。",
        "二、存在的问题",
        "基层法治力量薄弱，专业人员不足。",
        "三、下一步打算",
        "继续深化行政复议体制改革，提升依法行政水平。",
    ]
)


def report_text(issuer: str, year: int, parts: dict[str, list[str]]) -> str:
    """A small report as a .txt file would hold it: issuer, title, opening, numbered parts."""
    lines = [
        issuer,
        f"{year}年法治政府建设工作报告",
        f"{year}年，{issuer}深入推进法治政府建设，现将有关情况报告如下。",
    ]
    for n, (heading, paragraphs) in enumerate(parts.items()):
        lines.append(f"{'一二三四五'[n]}、{heading}")
        lines.extend(paragraphs)
    return "\n".join(lines)


# Two years of one county (汝城县, not among the bundled reports), its departments and a town:
# what several years of a place, plans written for a year, and issuers by kind are tested on.
MADE_REPORTS = {
    "汝城县政府办_2022.txt": report_text(
        "汝城县人民政府办公室",
        2022,
        {
            "主要举措和成效": ["（一）强化行政复议。全年受理行政复议案件21件，纠错3件。"],
            "存在的问题": ["基层法治力量薄弱，执法人员专业化水平不高。"],
            "2023年工作计划": ["2023年完成全县乡镇综合行政执法队伍轮训，实现执法人员持证上岗全覆盖。"],
        },
    ),
    "汝城县政府办_2023.txt": report_text(
        "汝城县人民政府办公室",
        2023,
        {
            "主要举措和成效": [
                "（一）强化行政复议。全年受理行政复议案件37件，纠错5件，复议质效持续提升。",
                "（二）规范行政应诉。全年办理行政诉讼案件12件，县长出庭应诉2次。",
            ],
            "存在的问题": ["行政复议人员力量不足，案件办理周期偏长。"],
            "下一步工作打算": ["推进行政复议规范化建设，2024年实现复议案件网上办理。"],
        },
    ),
    "汝城县公安局_2023.txt": report_text(
        "汝城县公安局",
        2023,
        {"主要做法和成效": ["（一）规范执法。全面配备执法记录仪240台，全年开展法治宣传活动65场。"]},
    ),
    "汝城县市场监督管理局_2023.txt": report_text(
        "汝城县市场监督管理局",
        2023,
        {"主要做法和成效": ["（一）规范执法。全年查处食品安全违法案件48件，开展法治宣传活动31场。"]},
    ),
    "汝城县土桥镇_2023.txt": report_text(
        "汝城县土桥镇人民政府",
        2023,
        {"主要做法和成效": ["（一）化解矛盾纠纷。全镇排查矛盾纠纷96起，调解成功94起。"]},
    ),
}


@pytest.fixture(scope="session")
def made_library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    """The bundled reports and MADE_REPORTS, for tests that only ask questions."""
    folder = tmp_path_factory.mktemp("made")
    for name, text in MADE_REPORTS.items():
        (folder / name).write_text(text, "utf-8")
    lib = Library(make_settings(tmp_path_factory.mktemp("made-data") / "data"))
    lib.ingest([folder])
    yield lib
    lib.store.close()


@pytest.fixture(scope="session")
def longtail_library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    """The bundled reports and those of tests/data/longtail (autonomous areas, a typo's
    neighbours, a town with three years, bodies, a traditional page, front matter)."""
    lib = Library(make_settings(tmp_path_factory.mktemp("longtail") / "data"))
    lib.ingest([TESTS_DATA / "longtail"])
    yield lib
    lib.store.close()


@pytest.fixture(scope="session")
def dev_library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    """The bundled reports and the twelve of tests/data/corpus-dev, as ingested."""
    lib = Library(make_settings(tmp_path_factory.mktemp("dev") / "data"))
    lib.ingest([TESTS_DATA / "corpus-dev" / "reports"])
    yield lib
    lib.store.close()


# The same county a year earlier, with other figures: a place with two years of reports.
RUCHENG_2022 = (
    RUCHENG.replace("2023", "2022")
    .replace("37件", "29件")
    .replace("纠错率12%", "纠错率9%")
    .replace("5210条", "4630条")
)


@pytest.fixture(scope="session")
def years_library(tmp_path_factory: pytest.TempPathFactory, shared_library: Library) -> Iterator[Library]:
    """The bundled reports plus 汝城县's for 2022 and 2023, for one session (only asked)."""
    lib = Library(copy_data(shared_library, tmp_path_factory.mktemp("years") / "data"))
    for name, text in (("汝城县政府办_2022.txt", RUCHENG_2022), ("汝城县政府办_2023.txt", RUCHENG)):
        lib.add(lib.parse(name, text.encode("utf-8")))
    yield lib
    lib.store.close()


# Counties none of the bundled reports covers (湖南省郴州市 and 常德市), for long report lists.
COUNTIES = (
    "汝城县",
    "桂东县",
    "宜章县",
    "嘉禾县",
    "临武县",
    "安仁县",
    "永兴县",
    "桂阳县",
    "石门县",
    "临澧县",
    "桃源县",
)


def county_report(county: str, year: int) -> str:
    """A small annual report of `county` for `year` (distinct text for every pair)."""
    cases = len(county) * 13 + year % 100
    return "\n".join(
        [
            f"{county}人民政府",
            f"{county}{year}年法治政府建设工作报告",
            f"{year}年，{county}人民政府坚持以习近平法治思想为指导，扎实推进法治政府建设，现将有关情况报告如下。",
            "一、主要举措和成效",
            f"（一）强化行政复议。全年办理行政复议案件{cases}件，复议质效持续提升。",
            f"（二）推进政务公开。{county}主动公开政府信息{cases * 37}条，回应群众关切。",
            "二、存在的问题",
            "基层法治力量薄弱，专业人员不足。",
        ]
    )


def add_county_reports(library: Library, folder: Path, n: int) -> list[Report]:
    """Ingest `n` county reports (COUNTIES × years from 2024 down) in one go; returns them."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        county, year = COUNTIES[i % len(COUNTIES)], 2024 - i // len(COUNTIES)
        (folder / f"{county}{year}.txt").write_text(county_report(county, year), "utf-8")
    done, errors = library.ingest([folder])
    assert not errors and len(done) == n
    return [d.report for d in done]


def copy_data(src: Library, dest: Path) -> Settings:
    """A copy of a library's data dir (database and saved index): a new Library on it loads
    rather than builds. Much cheaper than ingesting the bundled reports again."""
    dest.mkdir(parents=True)
    out = sqlite3.connect(dest / "reportbot.db")
    src.store.db.conn.backup(out)
    out.close()
    shutil.copytree(src.settings.index_dir, dest / "index")
    return make_settings(dest)


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


# --- the bot against a fake Bot API server -------------------------------------------------

ADMIN_ID = 1001
USER_ID = 2002
GROUP_ID = -100555


def plain(data: str) -> str:
    """A button's callback data without the signature the bot adds (bot.buttons)."""
    return data.rpartition("|")[0] or data


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    """A fake Bot API server on 127.0.0.1 that refuses what Telegram refuses."""
    with FakeTelegram() as server:
        yield server


def bot_settings(library: Library, telegram: FakeTelegram, **overrides: object) -> Settings:
    """Settings for a bot on `library`'s data, talking to the fake server. The rate limiter is
    off unless a test asks for it, so tests don't wait on Telegram's flood limits."""
    values: dict[str, object] = {
        "telegram_token": telegram.token,
        "admin_ids": frozenset({ADMIN_ID}),
        "api_base_url": telegram.base_url,
        "api_base_file_url": telegram.base_file_url,
        "rate_limiter": False,
    }
    values.update(overrides)
    s = library.settings
    return make_settings(s.data_dir, bundled_reports=s.bundled_reports, **values)


@asynccontextmanager
async def running_bot(settings: Settings, library: Library) -> AsyncIterator[App]:
    """The real Application, long-polling the fake server, stopped on exit."""
    app = build_application(settings, library)
    async with app:
        if app.post_init:
            await app.post_init(app)
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()


@pytest.fixture
async def bot(library: Library, telegram: FakeTelegram) -> AsyncIterator[App]:
    """A running bot over a fresh library (admin: ADMIN_ID)."""
    async with running_bot(bot_settings(library, telegram), library) as app:
        yield app


# --- a web site on 127.0.0.1 for links ------------------------------------------------------


@dataclass
class Route:
    """How one path of the Site answers. `body` may be an iterable of chunks (sent as they
    come, `pause` seconds apart); `length` False leaves Content-Length out (the body ends when
    the connection closes); `wait` delays everything after the headers."""

    body: bytes | Iterable[bytes] = b""
    content_type: str | None = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    length: bool = True
    wait: float = 0.0
    pause: float = 0.0


class Site:
    """A threaded HTTP server on 127.0.0.1 answering each path as its Route says (404 for
    others). Bodies are close-delimited (HTTP/1.0) unless a Content-Length is sent."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: dict[str, int] = {}
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_GET(self) -> None:
                site.hits[self.path] = site.hits.get(self.path, 0) + 1
                route = site.routes.get(self.path) or Route(b"not found", "text/plain", 404)
                self.send_response(route.status)
                if route.content_type is not None:
                    self.send_header("Content-Type", route.content_type)
                for k, v in route.headers.items():
                    self.send_header(k, v)
                if route.length and isinstance(route.body, bytes):
                    self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                try:
                    self.wfile.flush()
                    time.sleep(route.wait)
                    for chunk in [route.body] if isinstance(route.body, bytes) else route.body:
                        self.wfile.write(chunk)
                        self.wfile.flush()
                        time.sleep(route.pause)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client stopped reading: what a size or time limit does

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def add(self, path: str, route: Route) -> str:
        """Serve `route` at `path`; returns its full URL."""
        self.routes[path] = route
        return self.url(path)

    def __enter__(self) -> Site:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="session")
def site() -> Iterator[Site]:
    """One web server for the session; each test serves its own paths on it."""
    with Site() as server:
        yield server


def endless(chunk: bytes = b"<p>" + "法治".encode() * 2000 + b"</p>") -> Iterator[bytes]:
    """A body that never ends (until the client hangs up)."""
    while True:
        yield chunk


def web_page(lines: list[str], chrome: str = "", charset: str = "utf-8") -> bytes:
    """A report as a government site's page: its lines as paragraphs inside the article,
    with `chrome` (menus, links, footer) around it."""
    paragraphs = "".join(f"<p>{line}</p>" for line in lines)
    page = (
        f'<!DOCTYPE html><html><head><meta charset="{charset}"><title>{lines[1]}</title></head><body>'
        f'{chrome}<div class="article">{paragraphs}</div>{chrome}</body></html>'
    )
    return page.encode(charset)


def docx_bytes(lines: list[str]) -> bytes:
    """A .docx of one plain paragraph per line."""
    return make_docx(lambda document: [document.add_paragraph(line) for line in lines])


def pdf_bytes(lines: list[str]) -> bytes:
    """A one-page PDF with a drawn line per entry (STSong-Light: its CJK font is built in)."""
    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.setFont("STSong-Light", 10)
    for i, line in enumerate(lines):
        pdf.drawString(40, 800 - 16 * i, line)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


# --- report files built in the tests (docx, PDF, scans) ------------------------------------

pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))


def make_docx(build: Callable[[DocxDocument], object]) -> bytes:
    """A .docx made by python-docx after `build(document)` has filled it."""
    document = docx.Document()
    build(document)
    buffer = io.BytesIO()
    document.save(buffer)
    # The zip stamps each part with the time (to 2 s): the same document made twice must be the
    # same bytes, or a test that sends it twice can straddle a tick and send two files.
    fixed = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as src, zipfile.ZipFile(fixed, "w") as dst:
        for info in src.infolist():
            stamped = zipfile.ZipInfo(info.filename, date_time=(2024, 1, 1, 0, 0, 0))
            stamped.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(stamped, src.read(info.filename))
    return fixed.getvalue()


@dataclass(frozen=True)
class Drawn:
    """A line drawn on a PDF page: its text, left edge x (points), and font size."""

    text: str
    x: float = 72.0
    size: float = 16.0


def draw_pdf(
    pages: list[list[Drawn | str]],
    footer: str | None = "- {n} -",
    header: str | None = None,
    footer_x: Callable[[int], float] | None = None,
) -> bytes:
    """A PDF with the given lines drawn top to bottom on each page (STSong-Light, a CID font
    pypdf maps back to Unicode), with a page-number `footer` ("{n}", "{total}" filled in) and
    a running `header` on every page but the first."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(595, 842), invariant=1)
    for n, lines in enumerate(pages, start=1):
        if header and n > 1:
            pdf.setFont("STSong-Light", 10.5)
            pdf.drawCentredString(297, 800, header)
        y = 760.0
        for line in lines:
            drawn = Drawn(line) if isinstance(line, str) else line
            pdf.setFont("STSong-Light", drawn.size)
            pdf.drawString(drawn.x, y, drawn.text)
            y -= drawn.size * 1.8
        if footer is not None:
            label = footer.format(n=n, total=len(pages))
            pdf.setFont("STSong-Light", 14)
            if footer_x is None:
                pdf.drawCentredString(297, 50, label)
            else:
                pdf.drawString(footer_x(n), 50, label)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def cjk_font_path() -> Path:
    """A TrueType font with Chinese glyphs (the machines have none of their own)."""
    return Path(str(importlib.resources.files("paperang_p2_fonts_cjk") / "fonts" / "wqy-microhei.ttc"))


def scan_pdf(lines: list[tuple[int, str]], size: int = 28) -> bytes:
    """A one-page 'scanned' PDF: the lines (indent in characters, text) drawn with Pillow in
    a CJK font into a greyscale image, the image placed as the whole page, no text layer."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(cjk_font_path()), size)
    width = max(indent + len(text) for indent, text in lines) * size + 120
    pitch = int(size * 1.8)
    image = Image.new("L", (width, pitch * len(lines) + 120), 255)
    draw = ImageDraw.Draw(image)
    for i, (indent, text) in enumerate(lines):
        draw.text((60 + indent * size, 60 + i * pitch), text, font=font, fill=0)
    png = io.BytesIO()
    image.save(png, "PNG")
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=image.size, invariant=1)
    pdf.drawImage(ImageReader(io.BytesIO(png.getvalue())), 0, 0, *image.size)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


# Four counties, a district, a city and a county's 公安局; 汝城县 with two years. Every figure
# is made up, so the right order is known.
RANKED_REPORTS = {
    "汝城县_2022.txt": report_text(
        "汝城县人民政府", 2022, {"主要举措": ["全年办理行政复议案件52件，行政机关负责人出庭应诉率达到88%。"]}
    ),
    "汝城县_2023.txt": report_text(
        "汝城县人民政府",
        2023,
        {"主要举措": ["全年办理行政复议案件37件，一审行政诉讼案件败诉率下降到6.5%，出庭应诉率达到100%。"]},
    ),
    "蓝山县_2023.txt": report_text(
        "蓝山县人民政府", 2023, {"主要举措": ["全年收到行政复议申请41件，受理39件；出庭应诉率为95%。"]}
    ),
    "桃源县_2023.txt": report_text(
        "桃源县人民政府", 2023, {"主要举措": ["全年办理行政复议案件12件，行政诉讼败诉率为2.1%。"]}
    ),
    "宜章县_2023.txt": report_text(
        "宜章县人民政府", 2023, {"主要举措": ["深入推进府院联动，化解行政争议。"]}
    ),
    "北湖区_2023.txt": report_text(
        "郴州市北湖区人民政府", 2023, {"主要举措": ["全年办理行政复议案件88件，败诉率为9.9%。"]}
    ),
    "郴州市_2023.txt": report_text(
        "郴州市人民政府", 2023, {"主要举措": ["全市办理行政复议案件906件，出庭应诉率为97%。"]}
    ),
    "宜章县公安局_2023.txt": report_text(
        "宜章县公安局", 2023, {"主要做法": ["全年以县公安局为被申请人的行政复议案件3件，均予维持。"]}
    ),
}


@pytest.fixture(scope="session")
def ranked_library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    """RANKED_REPORTS alone, as ingested: rankings whose right order is known."""
    folder = tmp_path_factory.mktemp("ranked-reports")
    for name, text in RANKED_REPORTS.items():
        (folder / name).write_text(text, "utf-8")
    lib = Library(make_settings(tmp_path_factory.mktemp("ranked") / "data", bundled_reports=folder / "none"))
    lib.ingest([folder])
    yield lib
    lib.store.close()
