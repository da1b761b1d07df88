"""Fetching links (retrieval.fetch) from a web server the tests run on 127.0.0.1: what is
accepted, how it is named, and each limit refusing with a one-line reason."""

from __future__ import annotations

import socket
import time

import pytest

from retrieval.errors import FetchError
from retrieval.fetch import Limits, Problem, fetch, file_name, is_link
from tests.conftest import RUCHENG, Route, Site, docx_bytes, endless, pdf_bytes, web_page

LINES = RUCHENG.split("\n")
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# The tests' server is on 127.0.0.1, an internal address: allowed as an internal document server.
LOCAL = ("127.0.0.1",)
QUICK = Limits(max_bytes=200_000, connect_seconds=2, total_seconds=5, max_redirects=3, allow=LOCAL)
IMPATIENT = Limits(max_bytes=200_000, connect_seconds=2, total_seconds=0.4, allow=LOCAL)


def refused(url: str, limits: Limits = QUICK) -> FetchError:
    with pytest.raises(FetchError) as caught:
        fetch(url, limits)
    error = caught.value
    assert "\n" not in str(error) and str(error).startswith(url)
    return error


def test_a_page_is_fetched_with_its_bytes_and_named_by_its_last_segment(site: Site) -> None:
    page = web_page(LINES)
    url = site.add("/art/2024/1/15/art_1229_88.html", Route(page))
    got = fetch(url, QUICK)
    assert got.data == page and got.url == url
    assert got.name == "art_1229_88.html" and got.content_type == "text/html"


@pytest.mark.parametrize(
    ("path", "content_type", "name"),
    [
        ("/download?id=7", "application/pdf", "download.pdf"),
        ("/files/report", DOCX, "report.docx"),
        ("/files/报告.txt", "text/plain; charset=gbk", "报告.txt"),
        ("/", "text/html", "127.0.0.1.html"),
        ("/attachment/2024.pdf", "application/octet-stream", "2024.pdf"),
    ],
)
def test_a_download_is_named_for_its_content_type(
    site: Site, path: str, content_type: str, name: str
) -> None:
    quoted = path.replace("报告", "%E6%8A%A5%E5%91%8A")
    url = site.add(quoted, Route(b"%PDF-1.4 whatever", content_type))
    got = fetch(url, QUICK)
    assert got.name == name and got.data == b"%PDF-1.4 whatever"


def test_a_pdf_by_content_type_keeps_its_bytes(site: Site) -> None:
    pdf = pdf_bytes(LINES[:4])
    got = fetch(site.add("/getfile.do?fileId=3", Route(pdf, "application/pdf")), QUICK)
    assert got.data == pdf and got.name == "getfile.do.pdf"


def test_a_docx_by_content_type(site: Site) -> None:
    data = docx_bytes(LINES)
    got = fetch(site.add("/docx-by-type", Route(data, DOCX)), QUICK)
    assert got.data == data and got.name == "docx-by-type.docx"


def test_redirects_are_followed_and_the_final_url_is_kept(site: Site) -> None:
    target = site.add("/moved/here.html", Route(web_page(LINES)))
    site.add("/old", Route(status=301, headers={"Location": "/moved/here.html"}))
    start = site.add("/older", Route(status=302, headers={"Location": site.url("/old")}))
    got = fetch(start, QUICK)
    assert got.url == target and got.name == "here.html"


def test_too_many_redirects_are_refused(site: Site) -> None:
    url = site.add("/loop", Route(status=302, headers={"Location": "/loop"}))
    error = refused(url)
    assert error.problem == Problem.REDIRECTS and "more than 3 redirects" in error.reason
    assert site.hits["/loop"] == QUICK.max_redirects + 1


def test_a_redirect_to_another_scheme_is_refused(site: Site) -> None:
    url = site.add("/to-ftp", Route(status=302, headers={"Location": "ftp://127.0.0.1/report.txt"}))
    assert refused(url).problem == Problem.BAD_LINK


def test_a_404_is_refused_with_its_status(site: Site) -> None:
    error = refused(site.url("/no/such/page.html"))
    assert error.problem == Problem.STATUS and error.detail == "404"
    assert "404" in error.reason


def test_a_body_without_content_length_stops_at_the_limit(site: Site) -> None:
    url = site.add("/endless", Route(endless(), length=False))
    started = time.monotonic()
    error = refused(url, Limits(max_bytes=300_000, total_seconds=10, allow=LOCAL))
    assert error.problem == Problem.TOO_LARGE and error.detail == f"{300_000 / 1024 / 1024:g}"
    assert time.monotonic() - started < 5  # stopped by counting, not by the clock


def test_a_declared_length_over_the_limit_is_refused_before_reading(site: Site) -> None:
    url = site.add("/big", Route(b"x" * 300_000))
    assert refused(url, Limits(max_bytes=100_000, allow=LOCAL)).problem == Problem.TOO_LARGE


def test_a_server_that_stalls_hits_the_timeout(site: Site) -> None:
    url = site.add("/stall", Route(web_page(LINES), wait=3))
    started = time.monotonic()
    error = refused(url, IMPATIENT)
    assert error.problem == Problem.TIMEOUT and "0.4 s" in error.reason
    assert time.monotonic() - started < 2


def test_a_server_that_trickles_hits_the_total_timeout(site: Site) -> None:
    # Each chunk comes well within any read timeout; only the fetch's own deadline stops it.
    url = site.add("/trickle", Route(iter([b"<p>x</p>"] * 100), length=False, pause=0.05))
    started = time.monotonic()
    assert refused(url, IMPATIENT).problem == Problem.TIMEOUT
    assert time.monotonic() - started < 2


@pytest.mark.parametrize(
    ("content_type", "shown"),
    [
        ("image/png", "image/png"),
        ("application/zip", "application/zip"),
        ("application/octet-stream", "application/octet-stream"),  # a generic download not named .pdf/.docx
        (None, "no content type"),
    ],
)
def test_a_wrong_content_type_is_refused(site: Site, content_type: str | None, shown: str) -> None:
    url = site.add(f"/thing-{shown.replace('/', '-').replace(' ', '-')}", Route(b"\x89PNG....", content_type))
    error = refused(url)
    assert error.problem == Problem.CONTENT_TYPE and error.detail == shown


@pytest.mark.parametrize(
    "url", ["ftp://example.org/a.txt", "file:///etc/passwd", "http://", "javascript:alert(1)"]
)
def test_only_http_and_https_links_are_fetched(url: str) -> None:
    assert refused(url).problem == Problem.BAD_LINK


def test_a_closed_port_cannot_be_connected_to() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert refused(f"http://127.0.0.1:{port}/x.html").problem == Problem.CONNECT


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://x.gov.cn/a.html", True),
        (" HTTP://x.gov.cn ", True),
        ("reports/a.txt", False),
        ("ftp://x", False),
    ],
)
def test_is_link(text: str, expected: bool) -> None:
    assert is_link(text) is expected


def test_file_names_are_safe_and_bounded() -> None:
    assert file_name("https://x.gov.cn/a%2F..%2Fb.html", "text/html") == "a..b.html"
    assert len(file_name("https://x.gov.cn/" + "长" * 500, "text/html")) <= 130
    assert file_name("https://x.gov.cn/report.pdf", "text/html") == "report.pdf.html"


# --- links to internal addresses (issue 14 item 7) ------------------------------------------

STRICT = Limits(max_bytes=200_000, connect_seconds=2, total_seconds=5)  # nothing internal allowed


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/report.html",
        "http://127.1.2.3:8080/report.html",
        "http://localhost/report.pdf",
        "http://10.0.0.5/report.pdf",
        "http://172.16.3.4/a.docx",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://100.100.100.200/latest/meta-data/",  # shared address space (another cloud's)
        "http://[::1]/",
        "http://[fd00:ec2::254]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
    ],
)
def test_a_link_to_an_internal_address_is_refused_before_any_request(url: str) -> None:
    error = refused(url, STRICT)
    assert error.problem == Problem.INTERNAL and error.detail


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Host names the tests' DNS answers: name → address (others as the system resolves)."""
    answers: dict[str, str] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host: str, port: object, *args: object, **kwargs: object) -> list:
        if host in answers:
            return real(answers[host], port, *args, **kwargs)  # type: ignore[arg-type]
        return real(host, port, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


def test_a_name_resolving_to_an_internal_address_is_refused(site: Site, dns: dict[str, str]) -> None:
    site.add("/inside.html", Route(web_page(LINES)))
    dns["reports.example.gov.cn"] = "127.0.0.1"
    url = site.url("/inside.html").replace("127.0.0.1", "reports.example.gov.cn")
    error = refused(url, STRICT)
    assert error.problem == Problem.INTERNAL and error.detail == "127.0.0.1"
    assert "/inside.html" not in site.hits  # never connected


def test_an_internal_server_named_in_the_setting_may_be_fetched(site: Site, dns: dict[str, str]) -> None:
    site.add("/docs/report.html", Route(web_page(LINES)))
    dns["docs.intranet.example"] = "127.0.0.1"
    url = site.url("/docs/report.html").replace("127.0.0.1", "docs.intranet.example")
    by_name = Limits(max_bytes=200_000, connect_seconds=2, total_seconds=5, allow=("docs.intranet.example",))
    assert fetch(url, by_name).data == web_page(LINES)
    by_network = Limits(max_bytes=200_000, connect_seconds=2, total_seconds=5, allow=("127.0.0.0/8",))
    assert fetch(url, by_network).data == web_page(LINES)


def test_a_redirect_into_the_internal_network_is_refused(site: Site, dns: dict[str, str]) -> None:
    dns["docs.intranet.example"] = "127.0.0.1"
    secret = site.add("/secret.html", Route(web_page(LINES)))
    start = site.add("/jump", Route(status=302, headers={"Location": secret}))
    url = start.replace("127.0.0.1", "docs.intranet.example")
    only_that_name = Limits(
        max_bytes=200_000, connect_seconds=2, total_seconds=5, allow=("docs.intranet.example",)
    )
    error = refused(url, only_that_name)
    assert error.problem == Problem.INTERNAL
    assert "/secret.html" not in site.hits
