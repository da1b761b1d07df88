"""A web page saved from a government site as a Document: only the article, with the page's
发布时间 and 来源 as metadata.

The article is found by what it is, not by a site's ids: the block whose text is prose —
long, full of Chinese punctuation, with few links — scores highest, its paragraphs' scores
flowing to the container that holds them (readability-style text density and link density).
Inside it, link lists, print/close and share bars, 字号 switches and the meta line are dropped.
The article title is the heading before the article that the page's <title> or ArticleTitle
meta names; it comes first, as level 0.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import lxml.html
from lxml import etree

from retrieval.analyse import clean_title
from retrieval.decode import EMPTY, clean_line, decode_text, require_text, table_row_texts
from retrieval.errors import Unreadable, UnreadableFile
from retrieval.models import Document, Line

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


def webpage_document(name: str, data: bytes) -> Document:
    """The article of the HTML page `data`, its title first, and its 发布时间/来源.

    A page with no article-like block (a fragment, a plain list of paragraphs) gives all its
    visible text. Raises UnreadableFile when the page shows no text."""
    match = _META_CHARSET.search(data[:4096])
    declared = match.group(1).decode("ascii") if match else None
    html = decode_text(name, data, declared)
    page = _TextExtractor.lines_of(html)
    # Judge the shown text, not the markup: tags are mostly symbols and would look like junk.
    require_text(name, "\n".join(text for text, _, _ in page) or " ")
    try:
        root = lxml.html.document_fromstring(html.encode("utf-8"), parser=_PARSER)
    except (etree.LxmlError, ValueError):
        root = None
    if root is None:
        return Document(tuple(Line(text, level, table) for text, level, table in page))
    published, origin = page_metadata(root, [text for text, _, _ in page])
    lines = _article_lines(root)
    if not lines:
        lines = [Line(text, level, table) for text, level, table in page]
    if not lines:
        raise UnreadableFile(name, EMPTY, Unreadable.EMPTY)
    return Document(tuple(lines), published=published, origin=origin)


_PARSER = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)

# --- metadata ------------------------------------------------------------------------------

_DATE = r"((?:19|20)\d{2})\s*[-年/.．]\s*(\d{1,2})\s*[-月/.．]\s*(\d{1,2})"
_PUBLISHED = re.compile(r"(?:发布|发表|公开|成文|更新)?(?:时间|日期)\s*[:：]\s*" + _DATE)
_ORIGIN = re.compile(
    r"(?:信息|文章|稿件)?来源\s*[:：]\s*([^\s:：|｜【】\[\]]{2,30}?)(?=\s|$|[|｜【\[]|浏览|点击|作者|字号|发布)"
)
_META_DATE_NAMES = ("pubdate", "publishdate", "firstpublishedtime", "article:published_time", "dc.date")
_META_ORIGIN_NAMES = ("contentsource", "source", "dc.source")


def page_metadata(root: Any, lines: list[str]) -> tuple[str, str]:
    """The page's 发布时间 (ISO date) and 来源: from <meta> tags (PubDate, ContentSource, as
    TRS and most CMSs write them), else from the meta line shown above the article."""
    published = origin = ""
    for meta in root.iter("meta"):
        key = (meta.get("name") or meta.get("property") or "").strip().lower()
        content = clean_line(meta.get("content") or "")
        if key in _META_DATE_NAMES and not published and (m := re.search(_DATE, content)):
            published = _iso(m)
        elif key in _META_ORIGIN_NAMES and not origin and content:
            origin = content
    for line in lines:
        if not published and (m := _PUBLISHED.search(line)):
            published = _iso(m)
        if not origin and (o := _ORIGIN.search(line)):
            origin = o.group(1)
    return published, origin


def _iso(match: re.Match[str]) -> str:
    year, month, day = (int(g) for g in match.groups()[-3:])
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return ""
    return f"{year:04d}-{month:02d}-{day:02d}"


# --- finding the article -------------------------------------------------------------------

_INLINE = frozenset(
    {"a", "abbr", "b", "big", "em", "font", "i", "img", "label", "small", "span", "strong", "sub"}
    | {"sup", "u", "br", "wbr", "code", "s", "strike", "ins", "del", "mark", "q", "cite", "time"}
)
_DROPPED = ("script", "style", "noscript", "template", "svg", "iframe", "object", "head")
_FORM_FIELDS = ("input", "select", "textarea", "button", "option")
# Chrome that is never the report, recognised by its words: a line made only of these.
_CHROME_LINE = re.compile(
    r"^[\s【\[（(]*(?:打印(?:本页|此页|文章)?|关闭(?:本页|窗口)?|收藏|分享(?:到)?|返回顶部|字[号体][:：]?|[大中小]|"
    r"浏览次数|阅读次数|点击[数量率]?|扫一扫|微信|微博|QQ空间|纠错|"
    r"[】\]）)\s|｜·:：]|\d+)*$"
)
_LINK_LIST_WORDS = re.compile(
    r"^(?:上一篇|下一篇|上一条|下一条|相关(?:链接|文章|阅读|信息|新闻)|附件下载|延伸阅读)"
)
_PROSE_MARKS = re.compile("[，。；：、！？]")
_REPORT_TITLE = re.compile(r"(?:法治|依法行政)[\u4e00-\u9fff]{0,12}(?:报告|总结|情况)")


@dataclass
class _Stats:
    text: int = 0  # characters of visible text
    links: int = 0  # of which inside <a>


def _stats(element: Any) -> _Stats:
    """How much visible text `element` holds, and how much of it is link text."""
    stats = _Stats()
    for node in element.iter():
        if not isinstance(node.tag, str):
            continue
        stats.text += len("".join((node.text or "").split()))
        if node is not element:
            stats.text += len("".join((node.tail or "").split()))
        if node.tag == "a":  # a link's text, nested tags included (links do not nest)
            stats.links += len("".join(node.text_content().split()))
    stats.links = min(stats.links, stats.text)
    return stats


def _strip_page(root: Any) -> None:
    """Drop what never is the report: scripts, form fields, navigation, asides, and the page's
    header and footer (but not an article's own <header>, which holds its title)."""
    for element in list(root.iter(*_DROPPED, *_FORM_FIELDS, "nav", "aside")):
        if element.getparent() is not None:
            element.drop_tree()
    for element in list(root.iter("header", "footer")):
        in_article = any(ancestor.tag in ("article", "main") for ancestor in element.iterancestors())
        if element.getparent() is not None and not in_article:
            element.drop_tree()


def _blocks(root: Any) -> Iterator[tuple[Any, str]]:
    """Each element that holds text of its own (directly or in inline children), with it."""
    for element in root.iter():
        if not isinstance(element.tag, str) or element.tag in _INLINE:
            continue
        parts = [element.text or ""]
        for child in element:
            if isinstance(child.tag, str) and child.tag in _INLINE:
                parts.append(child.text_content() if child.tag != "br" else "\n")
            parts.append(child.tail or "")
        text = "".join("".join(parts).split())
        if text:
            yield element, text


def _article(root: Any) -> Any | None:
    """The element that holds the article: highest prose score after link density."""
    scores: dict[Any, float] = {}
    for block, text in _blocks(root):
        marks = len(_PROSE_MARKS.findall(text))
        if len(text) < 8 or not marks:
            continue
        score = 1.0 + marks + min(len(text) / 100, 3.0)
        brs = sum(1 for _ in block.iter("br"))
        if brs >= 2 and block.tag not in ("p", "li", "h1", "h2", "h3", "h4", "h5", "h6"):
            scores[block] = scores.get(block, 0.0) + score  # paragraphs split by <br> only
        for depth, ancestor in enumerate(block.iterancestors()):
            if depth > 2:
                break
            scores[ancestor] = scores.get(ancestor, 0.0) + score / (1 + depth)
    best, best_score = None, 0.0
    for element, score in scores.items():
        stats = _stats(element)
        density = stats.links / stats.text if stats.text else 1.0
        adjusted = score * (1.0 - density)
        if adjusted > best_score:
            best, best_score = element, adjusted
    return best


def _drop_link_lists(article: Any) -> None:
    """Remove blocks inside the article that are lists of links or named as such."""
    for element in list(article.iter()):
        if element is article or not isinstance(element.tag, str) or element.tag in _INLINE:
            continue
        if element.getparent() is None:
            continue
        stats = _stats(element)
        text = "".join(element.text_content().split())
        if (
            stats.text and stats.links / stats.text > 0.5 and not _PROSE_MARKS.search(text[:-1])
        ) or _LINK_LIST_WORDS.match(text):
            element.drop_tree()


def _title_before(root: Any, article: Any, names: list[str]) -> str:
    """The article's title: the last heading-like line before the article that the page's
    title names (or, failing that, the nearest <h1>–<h3> before it)."""
    candidates: list[str] = []
    for element in root.iter():
        if element is article:
            break
        if not isinstance(element.tag, str) or element.tag in _INLINE:
            continue
        if any(anc is article for anc in element.iterancestors()):
            break
        text = clean_line(" ".join(element.text_content().split()))
        if 4 <= len(text) <= 80 and (
            element.tag in ("h1", "h2", "h3") or "title" in (element.get("class") or "")
        ):
            candidates.append(text)
    for text in reversed(candidates):
        if _names_it(text, names):
            return text
    return candidates[-1] if candidates else ""


def _article_lines(root: Any) -> list[Line]:
    """The article's title and lines, or [] when the page has no article-like block."""
    names = [clean_line(root.findtext(".//title") or "")]
    for meta in root.iter("meta"):
        if (meta.get("name") or "").lower() in ("articletitle", "title", "og:title"):
            names.append(clean_line(meta.get("content") or ""))
    names = [n for n in names if n]
    _strip_page(root)
    article = _article(root)
    if article is None:
        return []
    title = _title_before(root, article, names)
    _drop_link_lists(article)
    html = etree.tostring(article, encoding="unicode", method="html")
    extracted = [
        (text, heading, table)
        for text, heading, table in _TextExtractor.lines_of(html)
        if not (_CHROME_LINE.match(text) or _LINK_LIST_WORDS.match(text) or _is_meta_line(text))
    ]
    headings = [heading for _, heading, _ in extracted if heading is not None]
    if not title and extracted and extracted[0][1] is not None and _names_it(extracted[0][0], names):
        # The article starts with its own title as a heading: that heading is the title, and
        # its rank is not a section level (unless sections use it too).
        title = extracted[0][0]
        if headings.count(extracted[0][1]) == 1:
            headings.remove(extracted[0][1])
    if not title:
        # No heading names the article: the page's <title>, without the site's words, when it
        # is a report's title (…情况报告_街镇园区文件_某区人民政府门户网站).
        title = next((t for n in names if _REPORT_TITLE.search(t := clean_title(n))), "")
    ranks = sorted(set(headings))[:3]
    lines = [Line(title, level=0)] if title else []
    for text, heading, table in extracted:
        if lines and text == lines[0].text:
            continue
        level = ranks.index(heading) + 1 if heading in ranks else None
        lines.append(Line(text, level, table))
    return lines


def _is_meta_line(text: str) -> bool:
    """The line above an article that gives its date and source (and view counts)."""
    return bool(_PUBLISHED.search(text)) and (bool(_ORIGIN.search(text)) or len(text) <= 40)


def _names_it(text: str, names: list[str]) -> bool:
    return any(text in name or name in text for name in names)


# --- visible text by block -----------------------------------------------------------------


class _TextExtractor(HTMLParser):
    """Collects the text an HTML page shows, with a line break at each block boundary; marks
    the lines of <h1>–<h6> with their rank and renders a data table's rows with their header
    cells (see retrieval.word for the format)."""

    _BLOCKS = frozenset(
        {
            *("address", "article", "aside", "blockquote", "body", "br", "caption", "dd"),
            *("div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form"),
            *("h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav"),
            *("ol", "p", "pre", "section", "table", "tbody", "tfoot", "thead", "tr", "ul"),
        }
    )
    _CELLS = frozenset({"td", "th"})
    # Elements whose content is never body text. <title> belongs in <head>, but is skipped even
    # where a sloppy page puts it.
    _HIDDEN = frozenset({"script", "style", "title", "noscript", "template", "svg"})
    # Marks in the collected text, resolved in lines(): a source line break, a heading's rank,
    # a table cell boundary.
    _SOURCE_BREAK = "\ue000"
    _HEADING = "\ue001"
    _CELL = "\ue002"

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._parts: list[str] = []
        self._in_head = False
        self._hidden_depth = 0
        self._pre_depth = 0

    @classmethod
    def lines_of(cls, html: str) -> list[tuple[str, int | None, bool]]:
        parser = cls()
        parser.feed(html)
        parser.close()
        return parser.lines()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "head":
            self._in_head = True
        elif tag in self._BLOCKS:
            self._in_head = False  # <body> or body content ends a <head> left open
        if tag in self._HIDDEN:
            self._hidden_depth += 1
        elif tag == "pre":
            self._pre_depth += 1
        if tag in self._BLOCKS:
            self._parts.append("\n")
            if re.fullmatch(r"h[1-6]", tag):
                self._parts.append(f"{self._HEADING}{tag[1]}")
        elif tag in self._CELLS:
            self._parts.append(self._CELL)

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self._in_head = False
        elif tag in self._HIDDEN:
            self._hidden_depth = max(0, self._hidden_depth - 1)
        elif tag == "pre":
            self._pre_depth = max(0, self._pre_depth - 1)
        if tag in self._BLOCKS:
            self._parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_head or self._hidden_depth:
            return
        if not self._pre_depth:
            # Outside <pre>, a line break in the source is white space, not a new line.
            data = _HTML_SOURCE_BREAK.sub(self._SOURCE_BREAK, data)
        self._parts.append(data)

    def lines(self) -> list[tuple[str, int | None, bool]]:
        """The collected lines as (text, heading rank or None, is a table row). A source line
        break vanishes between CJK characters (Chinese has no spaces between words) and
        becomes a space elsewhere."""
        text = _HTML_BREAK_IN_CJK.sub("", "".join(self._parts))
        text = text.replace(self._SOURCE_BREAK, " ")
        raw: list[tuple[str, int | None, list[str] | None]] = []
        for chunk in text.split("\n"):
            rank = None
            if chunk.startswith(self._HEADING):
                rank, chunk = int(chunk[1]), chunk[2:]
            if self._CELL in chunk:
                cells = [clean_line(c) for c in chunk.split(self._CELL)[1:]]
                if any(cells):
                    raw.append(("", rank, cells))
                continue
            for piece in chunk.splitlines():
                line = clean_line(piece.replace(self._HEADING, ""))
                if line:
                    raw.append((line, rank, None))
        return _with_tables(raw)


def _with_tables(raw: list[tuple[str, int | None, list[str] | None]]) -> list[tuple[str, int | None, bool]]:
    """Runs of table rows rendered as retrieval.word renders them: a row with its header."""
    out: list[tuple[str, int | None, bool]] = []
    i = 0
    while i < len(raw):
        if raw[i][2] is None:
            out.append((raw[i][0], raw[i][1], False))
            i += 1
            continue
        j = i
        while j < len(raw) and raw[j][2] is not None:
            j += 1
        rows = [row for _, _, row in raw[i:j] if row is not None]
        out.extend((text, None, True) for text in table_row_texts(rows))
        i = j
    return out


# ASCII white space only: an &nbsp; or a full-width space is content.
_HTML_SOURCE_BREAK = re.compile(r"[ \t\f]*[\r\n][ \t\f\r\n]*")
_CJK_CLASS = "[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]"
_HTML_BREAK_IN_CJK = re.compile(f"(?<={_CJK_CLASS}){_TextExtractor._SOURCE_BREAK}+(?={_CJK_CLASS})")
