"""What a reader works out about a report: file names, page titles, self-references, years."""

from __future__ import annotations

import pytest

from retrieval.analyse import (
    FileName,
    SelfReference,
    clean_title,
    expand,
    implied_issuer,
    named_in,
    opening_year,
    read_file_name,
    self_reference,
)
from retrieval.places import default_gazetteer


@pytest.mark.parametrize(
    ("source", "name", "year"),
    [
        ("岳阳县_2022.txt", "岳阳县", 2022),
        ("友谊路街道_2025.docx", "友谊路街道", 2025),
        ("秀山县政府办_2024.txt", "秀山县政府办", 2024),
        ("/srv/uploads/武汉市司法局_2023.pdf", "武汉市司法局", 2023),
        ("2023年武汉市司法局法治政府建设年度报告.docx", "武汉市司法局", 2023),
        ("汝城县政府办 法治报告.docx", "汝城县政府办", None),
        ("t20240328_6583952.html", "", None),  # a link's own name says nothing
        ("01-pingshan-xianzhengfuban-2023.txt", "", 2023),
    ],
)
def test_read_file_name(source: str, name: str, year: int | None) -> None:
    assert read_file_name(source) == FileName(name, year)


@pytest.mark.parametrize(
    ("title", "clean"),
    [
        (
            "2023年度法治政府建设情况报告_街镇园区文件_上海市宝山区人民政府门户网站",
            "2023年度法治政府建设情况报告",
        ),
        ("某某县2023年法治政府建设报告-和记娱乐国际", "某某县2023年法治政府建设报告"),
        ("首页 | 2022年法治政府建设工作总结", "2022年法治政府建设工作总结"),
        ("法治政府建设年度报 告", "法治政府建设年度报告"),
        ("关 于 2024 年 法 治 政 府 建 设 情 况 的 报 告", "关于2024年法治政府建设情况的报告"),
        (
            "潍坊市人民政府关于2023年度法治政府建设情况的报告",
            "潍坊市人民政府关于2023年度法治政府建设情况的报告",
        ),
    ],
)
def test_clean_title_drops_site_words_and_spacing(title: str, clean: str) -> None:
    assert clean_title(title).replace(" ", "") == clean.replace(" ", "")


@pytest.mark.parametrize(
    ("text", "places", "town", "rest"),
    [
        ("岳阳县", ("岳阳县",), "", ""),
        ("西宁城中区", ("西宁市", "城中区"), "", ""),  # a short city name, then its district
        ("宝安区西乡街道", ("宝安区",), "西乡街道", ""),
        ("绍兴市场监管局", ("绍兴市",), "", "市场监管局"),  # 绍兴 + 市场监管局, not 绍兴市 + 场监管局
        ("闵行浦江镇", ("闵行区",), "浦江镇", ""),  # 浦江镇 is no 浦江县
        ("荣昌区公安局", ("荣昌区",), "", "公安局"),  # 公安局 is no 公安县
        ("西乌旗", ("西乌珠穆沁旗",), "", ""),
        ("黔西南州政府", ("黔西南布依族苗族自治州",), "", "政府"),
        ("生态环境部", (), "", "生态环境部"),
    ],
)
def test_named_in_reads_places_as_staff_write_them(
    text: str, places: tuple[str, ...], town: str, rest: str
) -> None:
    named = named_in(text, default_gazetteer())
    assert (named.places, named.town, named.rest) == (places, town, rest)


@pytest.mark.parametrize(
    ("opening", "ref"),
    [
        ("2023年，区政府坚持以习近平法治思想为指导，全面推进依法行政。", SelfReference("区")),
        ("2024年以来，我市坚持以习近平新时代中国特色社会主义思想为指导。", SelfReference("市")),
        ("2022年，我镇深入推进法治政府建设，现将有关情况报告如下。", SelfReference("镇")),
        ("2023年，街道党工委高度重视法治建设。", SelfReference("街道")),
        ("2023年，市市场监管局在市委市政府的坚强领导下，深入学习。", SelfReference("市", "市场监管局")),
        ("一年来，本局认真贯彻落实上级部署。", SelfReference("", "局")),
    ],
)
def test_self_reference_of_the_opening(opening: str, ref: SelfReference) -> None:
    assert self_reference(opening, []) == ref


def test_no_self_reference_in_a_sentence_about_others() -> None:
    assert self_reference("全省法治政府建设取得新成效。", ["各地各部门认真落实。"]) is None


@pytest.mark.parametrize(
    ("opening", "year"),
    [
        ("2023年，清波街道全面深入开展法治政府建设。", 2023),
        (
            "根据《全面深化法治领域改革纲要(2023—2027年)》,以及市、区的具体部署,2024年,某街道以…",
            2024,
        ),  # a plan's span is no year covered
        ("2025年以来，县人民政府认真贯彻落实。", 2025),
        ("2024年是全面贯彻落实党的二十大精神的关键之年。", 2024),
        ("20256月，我县召开专题会议。", 2025),  # a date that lost its 年
        ("按照《法治政府建设实施纲要(20212025年)》目标要求，扎实推进。", None),
    ],
)
def test_opening_year(opening: str, year: int | None) -> None:
    assert opening_year(opening) == year


@pytest.mark.parametrize(
    ("short", "full"),
    [
        ("绍兴市市场监管局", "绍兴市市场监督管理局"),
        ("秀山县政府办", "秀山县人民政府办公室"),
        ("某区管委会", "某区管理委员会"),
    ],
)
def test_expand_spells_out_office_short_forms(short: str, full: str) -> None:
    assert expand(short) == full


@pytest.mark.parametrize(
    ("title", "opening", "source", "issuer"),
    [
        ("", "2023年，区政府坚持依法行政。", "朔城区_2023.txt", "朔城区人民政府"),
        ("2020年静海区法治政府建设情况报告", "2020年，全区坚持依法行政。", "x.txt", "静海区人民政府"),
        ("", "2024年以来，我市全面推进法治政府建设。", "保定市_2024.txt", "保定市人民政府"),
        (
            "",
            "2023年，市市场监管局在市委市政府的坚强领导下。",
            "绍兴市场监管局_2023.txt",
            "绍兴市市场监督管理局",
        ),
        ("", "一年来，我局认真贯彻落实上级部署。", "武汉市司法局_2023.txt", "武汉市司法局"),
        ("", "2022年，我镇深入推进法治建设。", "咸安区官埠桥镇_2022.txt", "咸安区官埠桥镇人民政府"),
        (
            "海滨街道2025年法治政府建设情况报告",
            "2025年，街道党工委高度重视。",
            "宝坻海滨街道_2025.txt",
            "宝坻区海滨街道办事处",
        ),
        (
            "2021年天津经济技术开发区法治政府建设情况报告",
            "2021年，开发区坚持依法行政。",
            "x.txt",
            "天津经济技术开发区管理委员会",
        ),
        (
            "2019年法治政府建设年度报告",
            "2019年，生态环境部坚持依法行政。",
            "生态环境部_2019.txt",
            "生态环境部",
        ),
        ("", "2022年，我镇深入推进法治建设。", "法治报告.txt", ""),  # a town nobody names: no guess
        ("", "2023年，全县上下团结一心。", "报告.txt", ""),
    ],
)
def test_implied_issuer(title: str, opening: str, source: str, issuer: str) -> None:
    ref = self_reference(opening, [])
    got = implied_issuer(title, opening, ref, read_file_name(source), default_gazetteer())
    assert got == issuer
