# ruff: noqa: E501 - page markup and XML read better on one line each
"""Tests for retrieval.webpage: pages written here in the styles government sites use."""

from __future__ import annotations

import codecs

import pytest

from retrieval.models import Document, Line
from retrieval.read import read_document, read_lines

TITLE = "永和县司法局2023年度法治政府建设情况报告"
BODY = [
    "2023年，县司法局坚持以习近平法治思想为指导，统筹推进法治政府建设，现将有关情况报告如下：",
    "一、主要做法和成效",
    "（一）健全执法监督机制。全年审核行政执法案件412起，发现并纠正问题37个。",
    "（二）推进公共法律服务。修订《法律援助工作规程（二〇二三年版）》，办理法律援助案件586件。",
    "二、存在的不足",
    "一是基层法治力量薄弱；二是普法的精准性还需增强。",
    "永和县司法局",
    "2024年1月15日",
]
# What must never come out of any page below.
CHROME = [
    "设为首页",
    "首页",
    "当前位置",
    "发布时间",
    "浏览次数",
    "打印",
    "关闭",
    "相关链接",
    "上一篇",
    "下一篇",
    "主办单位",
    "ICP备",
    "公网安备",
    "分享",
    "字号",
    "永和县教育局2023年度法治政府建设情况报告",
]

NAV = """<div class="topbar"><a href="/">设为首页</a> | <a href="/">加入收藏</a> | <a href="/wza/">无障碍</a></div>
<div class="nav"><ul><li><a href="/">首　页</a></li><li><a href="/zwgk/">政务公开</a></li>
<li><a href="/zwfw/">政务服务</a></li><li><a href="/hdjl/">互动交流</a></li></ul></div>
<div class="position">当前位置：<a href="/">首页</a>&nbsp;&gt;&nbsp;<a href="/zwgk/">政务公开</a>&nbsp;&gt;&nbsp;<a href="/fz/">法治政府建设</a></div>"""
RELATED = """<div class="related"><h3>相关链接</h3><ul>
<li><a href="/a.html">永和县教育局2023年度法治政府建设情况报告</a><span>2024-01-20</span></li>
<li><a href="/b.html">永和县人民政府2023年度法治政府建设情况报告</a><span>2024-01-10</span></li></ul></div>
<div class="prenext"><p>上一篇：<a href="/c.html">永和县教育局2023年度法治政府建设情况报告</a></p>
<p>下一篇：<a href="/d.html">永和县交通运输局2023年度法治政府建设情况报告</a></p></div>"""
FOOTER = """<div class="footer"><p><a href="/map/">网站地图</a> | <a href="/lx/">联系我们</a></p>
<p>主办单位：永和县人民政府办公室&nbsp;&nbsp;承办单位：永和县融媒体中心</p>
<p>网站标识码：1410290001&nbsp;&nbsp;<a href="https://beian.example/">晋ICP备05004262号-1</a>&nbsp;晋公网安备 14102902000125号</p></div>"""


def _lead(text: str) -> tuple[str, str]:
    """A paragraph split into its lead heading (up to the first full stop) and the rest."""
    head, _, rest = text.partition("。")
    return head + "。", rest


def trs_page() -> str:
    """An older TRS site: head metadata, article in div#zoom.TRS_Editor, span markup, bold
    lead headings, right-aligned signature."""
    paragraphs = []
    for text in BODY[:-2]:
        if text.startswith("（"):
            head, rest = _lead(text)
            inner = f'<span style="font-family:仿宋_GB2312"><strong>{head}</strong>{rest}</span>'
        elif text[1] == "、":
            inner = f'<strong><span style="font-family:黑体">{text}</span></strong>'
        else:
            inner = f'<span style="font-family:仿宋_GB2312">{text}</span>'
        paragraphs.append(f'<p style="text-indent:2em;">{inner}</p>')
    paragraphs += [f'<p style="text-align:right;"><span>{t}&nbsp;&nbsp;</span></p>' for t in BODY[-2:]]
    return f"""<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312" />
<title>{TITLE}_法治政府建设_永和县人民政府</title>
<meta name="PubDate" content="2024-01-18 09:30" /><meta name="ContentSource" content="县司法局" />
<script>function doZoom(s){{}}</script></head><body>{NAV}
<div class="article"><h1 class="art-title">{TITLE}</h1>
<div class="art-info">发布时间：2024-01-18 09:30&nbsp;&nbsp;&nbsp;&nbsp;来源：县司法局&nbsp;&nbsp;&nbsp;&nbsp;浏览次数：<span id="hits">386</span>&nbsp;&nbsp;【字体：<a href="javascript:doZoom(18)">大</a> <a href="#">中</a> <a href="#">小</a>】</div>
<div id="zoom" class="TRS_Editor">{"".join(paragraphs)}</div>
<div class="tools">【<a href="javascript:window.print()">打印本页</a>】【<a href="javascript:window.close()">关闭窗口</a>】</div>
{RELATED}</div>{FOOTER}</body></html>"""


def article_page() -> str:
    """A newer site: <header>/<nav>, <article>, &nbsp; indents and <br>-separated paragraphs,
    <b> headings, the meta line in spans only (no meta tags), a share bar, <footer>."""
    lines = []
    for text in BODY:
        shown = f"<b>{text}</b>" if text[1:2] == "、" else text
        lines.append(f"&nbsp;&nbsp;&nbsp;&nbsp;{shown}<br/>")
    return f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{TITLE}-永和县人民政府</title></head>
<body><header class="site-header"><a class="logo" href="/">永和县人民政府</a><nav><a href="/">首页</a><a href="/zwgk/">政务公开</a></nav></header>
<div class="breadcrumb">您当前所在位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a></div>
<article><h2 class="article-title">{TITLE}</h2>
<div class="article-meta"><span>发布时间：2024年01月18日</span> <span>来源：永和县司法局</span> <span>浏览次数：<em>1207</em></span> <span>字号：<a href="#">大</a> <a href="#">中</a> <a href="#">小</a></span></div>
<div class="article-content">{"".join(lines)}</div>
<div class="article-share">分享到：<a href="#">微信</a> <a href="#">微博</a> <a href="javascript:window.print();">打印</a></div>
</article>{RELATED}<footer>{FOOTER}</footer></body></html>"""


def table_layout_page() -> str:
    """An old table-layout site: nav, article and footer in cells of nested layout tables."""
    paragraphs = "".join(f"<p>{text}</p>" for text in BODY)
    return f"""<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"><title>{TITLE}</title></head>
<body><table width="1000"><tr><td>{NAV}</td></tr>
<tr><td><table width="100%"><tr><td class="title" align="center"><font size="5"><b>{TITLE}</b></font></td></tr>
<tr><td align="center">发布日期：2024-1-18 &nbsp; 信息来源：县司法局 &nbsp; 点击数：52</td></tr>
<tr><td class="content">{paragraphs}</td></tr>
<tr><td align="center"><a href="javascript:window.print()">【打印此页】</a> <a href="javascript:window.close()">【关闭窗口】</a></td></tr>
</table></td></tr><tr><td>{RELATED}</td></tr><tr><td>{FOOTER}</td></tr></table></body></html>"""


@pytest.mark.parametrize(
    ("page", "encoding", "origin"),
    [
        (trs_page, "gbk", "县司法局"),  # declared gb2312, bytes GBK (〇 is not in GB2312)
        (trs_page, "gb18030", "县司法局"),
        (article_page, "utf-8", "永和县司法局"),
        (table_layout_page, "utf-8", "县司法局"),
        (table_layout_page, "utf-16", "县司法局"),  # with a BOM
    ],
    ids=["trs-gbk", "trs-gb18030", "article-utf8", "tables-utf8", "tables-utf16"],
)
def test_only_the_article_is_read_with_its_metadata(page, encoding: str, origin: str) -> None:
    document = read_document("page.html", page().encode(encoding))
    assert document.lines[0] == Line(TITLE, level=0)
    assert document.texts == [TITLE, *BODY]
    assert (document.published, document.origin) == ("2024-01-18", origin)
    for text in document.texts:
        assert not any(chrome in text for chrome in CHROME if chrome not in TITLE), text


def test_headings_inside_the_article_get_levels_by_rank_and_tables_read_by_row() -> None:
    page = f"""<html><head><meta charset="utf-8"><title>{TITLE}</title></head><body>
<div class="nav"><a href="/">首页</a> <a href="/a/">政务公开</a> <a href="/b/">互动交流</a></div>
<div class="article-content"><h1>{TITLE}</h1><p>{BODY[0]}</p>
<h3>一、主要做法和成效</h3><h4>（一）健全执法监督机制</h4><p>{BODY[2]}</p>
<p>表1　主要数据</p>
<table border="1"><tr><th>指标</th><th>2022年</th><th>2023年</th></tr>
<tr><td>行政执法案件（起）</td><td>398</td><td>412</td></tr></table>
<h3>二、存在的不足</h3><p>{BODY[5]}</p></div></body></html>"""
    assert read_document("page.html", page.encode()).lines == (
        Line(TITLE, level=0),
        Line(BODY[0]),
        Line("一、主要做法和成效", level=1),
        Line("（一）健全执法监督机制", level=2),
        Line(BODY[2]),
        Line("表1　主要数据"),
        Line("行政执法案件（起）：2022年 398，2023年 412", table=True),
        Line("二、存在的不足", level=1),
        Line(BODY[5]),
    )


HTML = """<!DOCTYPE html>
<html><head>{meta}<title>页面标题</title>
<style>p {{ color: red; }} .x::before {{ content: "样式"; }}</style>
<script>var s = "<p>脚本</p>";</script></head>
<body>
<h1>XX县人民政府办公室2024年法治政府建设年度报告</h1>
<div class="nav"><ul><li><a href="/">首页</a></li><li><a href="/zw/">政务公开</a></li></ul></div>
<p>　　一、2024年工作开展情况<br>（一）坚持党的领导。</p>
<p>（二）持续深化政务
公开。一是&ldquo;完善&rdquo;制度&nbsp;&amp;&nbsp;流程&lt;试行&gt;&#65307;二是拓展渠道。</p>
<pre>甲
乙</pre>
<noscript>请启用脚本</noscript>
</body></html>
"""
HTML_LINES = [
    "XX县人民政府办公室2024年法治政府建设年度报告",
    "一、2024年工作开展情况",
    "（一）坚持党的领导。",
    "（二）持续深化政务公开。一是“完善”制度\u00a0&\u00a0流程<试行>；二是拓展渠道。",
    "甲",
    "乙",
]


def _encode(text: str, encoding: str) -> bytes:
    return (
        codecs.BOM_UTF16_LE + text.encode("utf-16-le")
        if encoding == "utf-16-le+bom"
        else text.encode(encoding)
    )


@pytest.mark.parametrize(
    ("meta", "encoding"),
    [
        ('<meta charset="utf-8">', "utf-8"),
        ('<meta http-equiv="Content-Type" content="text/html; charset=gb2312">', "gb18030"),
        ("", "gbk"),
        ("", "utf-16-le+bom"),
    ],
)
@pytest.mark.parametrize("suffix", [".html", ".htm"])
def test_html_gives_visible_body_text_by_block(meta: str, encoding: str, suffix: str) -> None:
    data = _encode(HTML.format(meta=meta), encoding)
    assert read_lines("page" + suffix, data) == HTML_LINES


def test_html_head_left_open_ends_at_body_content() -> None:
    page = "<html><head><title>标题</title><meta name=x><p>正文第一段。</p><p>第二段</p>"
    assert read_lines("sloppy.html", page.encode()) == ["正文第一段。", "第二段"]


def test_a_page_without_metadata_has_none() -> None:
    document = read_document("plain.html", "<p>正文第一段，没有发布时间。</p>".encode())
    assert document == Document((Line("正文第一段，没有发布时间。"),))


def test_an_article_with_its_own_header_keeps_its_title() -> None:
    paragraphs = "".join(f"<p>{text}</p>" for text in BODY)
    page = f"""<html><head><meta charset="utf-8"><title>{TITLE}_永和县人民政府</title></head><body>
<header><nav><a href="/">首页</a><a href="/zwgk/">政务公开</a></nav></header>
<main><article><header><h1>{TITLE}</h1><p class="meta">发布时间：2024-01-18 来源：县司法局</p></header>
<section class="content">{paragraphs}</section><footer>{RELATED}</footer></article></main>
<footer>{FOOTER}</footer></body></html>"""
    document = read_document("page.html", page.encode())
    assert document.lines[0] == Line(TITLE, level=0)
    assert document.texts == [TITLE, *BODY]
    assert (document.published, document.origin) == ("2024-01-18", "县司法局")


@pytest.mark.parametrize(
    ("page_title", "title"),
    [
        (
            "塘栖镇2024年度法治政府建设工作报告_街镇园区文件_杭州市临平区人民政府门户网站",
            "塘栖镇2024年度法治政府建设工作报告",
        ),
        ("某某县2023年法治政府建设情况报告-和记娱乐国际", "某某县2023年法治政府建设情况报告"),
    ],
)
def test_an_article_with_no_heading_takes_the_page_title_without_the_site(
    page_title: str, title: str
) -> None:
    paragraphs = "".join(f"<p>{text}</p>" for text in BODY)
    page = f"""<html><head><meta charset="utf-8"><title>{page_title}</title></head><body>
<div class="nav"><a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a></div>
<div class="article">{paragraphs}</div></body></html>"""
    document = read_document("page.html", page.encode())
    assert document.lines[0] == Line(title, level=0)
    assert document.texts == [title, *BODY]


def test_a_page_title_that_is_no_report_title_is_not_taken() -> None:
    paragraphs = "".join(f"<p>{text}</p>" for text in BODY)
    page = f"""<html><head><meta charset="utf-8"><title>政务公开_某县人民政府门户网站</title></head><body>
<div class="article">{paragraphs}</div></body></html>"""
    assert read_document("page.html", page.encode()).texts == BODY
