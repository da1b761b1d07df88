"""The figures a passage states, each with what it measures: `收到行政复议申请34件` →
(行政复议申请, 34, 件); `一审行政诉讼案件败诉率下降到4.1%` → (行政诉讼败诉率, 4.1, %);
`办结率98.92%`, `15.19万元`, `11期`, `排名第10位`, and in Chinese numerals (`三次`,
`百分之九十五`). Kept at ingest beside the passages, so that a question about a figure can
lead with it and a question across reports can rank places by it.

Years, dates, document numbers and names that hold numbers (“八五”普法, 十四五, 12345热线,
1310具体部署) are not figures.
"""

from __future__ import annotations

import re

from retrieval.models import Figure
from retrieval.tokenize import fold

# Measure words, longest first (人次 before 人, 万元 before 元).
_UNITS = (
    *("万人次", "人次", "万元", "亿元", "万人", "千元", "元", "万件", "件次", "件", "次", "人", "名"),
    *("场", "期", "个", "项", "条", "份", "篇", "家", "起", "户", "宗", "卷", "台", "所", "处", "批"),
    *("类", "天", "日", "小时", "个工作日", "工作日", "倍", "位", "%", "个百分点", "百分点"),
    *("部", "亩", "支", "平方米", "公里", "场次", "万人次", "万名", "万件", "万户", "年"),
)
_UNIT = "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True))
_CN_DIGIT = "零〇一二两三四五六七八九"
_CN_NUMBER = rf"[{_CN_DIGIT}十百千万]+"
_APPROX = "余多近约超"
# A number as written: 34, 1,200, 98.92, 15.19万 (万 before a unit), 三, 十一, 百分之九十五.
_FIGURE = re.compile(
    rf"(?P<rank>第)?(?P<pct>百分之)?"
    rf"(?P<num>\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?|{_CN_NUMBER})"
    rf"(?P<mult>[万亿](?![元人件名户次]))?(?P<approx>[{_APPROX}])?\s*(?P<unit>{_UNIT}|％)?"
)
# Where a clause starts: a measure never reaches past these.
_CLAUSE = re.compile(r"[，,。；;：:、！？!?（）()“”\"《》\s]")
# Words before a figure that say how it came about, not what it measures.
_LEADING = re.compile(
    r"^(?:全年|今年|去年|当年|年内|本年度|依法|先后|分别|全市|全县|全区|全省|全镇|全乡|全旗|各级|累计|共计|总计|合计|共|"
    r"(?:19|20)\d{2}\s*年度?|[一二三四五六七八九十]+是|其中|同比|较上年|比上年)+"
)
_TRAILING = re.compile(
    r"(?:分别|同比)?(?:下降|上升|提高|增长|减少|达到|达|为|至|到|了|共|计|约|近|超过|超|以上|均|累计|总计|合计|"
    r"排名|排|位列|位居|名列|居|列)+$"
)
_FILLER = re.compile(r"案件(?=[\u4e00-\u9fff]*率$)|^一审|^二审")
_VERBS = re.compile(
    r"^(?:支付|收到|受理|办理|办结|审查|审核|出具|开展|组织|举办|召开|培训|发放|查处|处理|化解|调解|排查|清理|制定|"
    r"修订|出台|印发|发布|公开|提供|接待|解答|聘请|配备|完成|实现|参加|参与|新增|录入|推送|备案|征集|报送|"
    r"立案|审结|纠正|撤销|作出|开具|核发|办)"
)
# Not figures: a name or a plan with a number in it.
_NAMED = re.compile(
    r"[“\"《(（]?(?:八五|七五|十四五|十三五|二十大|十九大|十九届|二十届|[一二三四五六七八九十]+中全会)"
)
_ROW_LABEL = re.compile(r"^([\u4e00-\u9fff（）()]{2,20})[：:]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_CN_VALUES = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}


# Stored figures carry the format they were extracted by; another format re-extracts them.
FIGURES_FORMAT = "1"


def cn_value(text: str) -> float | None:
    """The value of a Chinese numeral (三 → 3, 十一 → 11, 九十五 → 95, 一百二十 → 120, 两千三百 →
    2300, 三万 → 30000); None when it is not one."""
    total, section, digit = 0, 0, None
    units = {"十": 10, "百": 100, "千": 1000}
    for ch in text:
        if ch in _CN_VALUES:
            digit = _CN_VALUES[ch]
        elif ch in units:
            section += (digit if digit is not None else 1) * units[ch]
            digit = None
        elif ch == "万":
            total = (total + section + (digit or 0)) * 10000
            section, digit = 0, None
        else:
            return None
    return float(total + section + (digit or 0))


def figures_in(text: str) -> list[Figure]:
    """Every figure `text` states, in order (see the module's docstring for what counts)."""
    written = text
    text = fold(text)  # traditional characters read as simplified (萬人次 → 万人次), same length
    # A table row (行政复议案件：2021年 21件，2022年 34件) measures what its first cell names.
    label = _ROW_LABEL.match(text)
    out: list[Figure] = []
    for m in _FIGURE.finditer(text):
        figure = _figure(text, m)
        if figure is None:
            continue
        # Measures are read in simplified characters (as questions are); the figure as written.
        measure = label.group(1) if label and not _CJK.search(figure.measure) else figure.measure
        out.append(
            Figure(
                measure,
                figure.value,
                figure.unit,
                written[figure.start : figure.end],
                figure.start,
                figure.end,
            )
        )
    return out


def _figure(text: str, m: re.Match[str]) -> Figure | None:
    num, unit = m.group("num"), m.group("unit") or ""
    if m.group("mult") and unit:
        unit = m.group("mult") + unit if not unit.startswith(m.group("mult")) else unit
    if m.group("pct"):
        unit = "%"
    unit = "%" if unit == "％" else unit
    if not unit:
        if m.group("rank") and re.search(
            r"(?:排名|排|位列|位居|名列|列)$", text[max(0, m.start() - 3) : m.start()]
        ):
            unit = "位"  # 综合排名第二
        else:
            return None  # a bare number: a year's digits, an article, a code
    arabic = num[0].isdigit()
    if arabic:
        value = float(num.replace(",", ""))
        if len(num) == 4 and unit == "年":
            return None  # a year
    else:
        if len(num) == 1 and num in "两" and unit not in ("个", "项", "次", "名", "人", "家"):
            return None
        parsed = cn_value(num)
        if parsed is None:
            return None
        value = parsed
        if value <= 2 and unit in ("次", "个", "件", "期", "批", "级", "年"):
            return None  # 最多跑一次, 二期工程, 一件事: idioms and names, not counts
        if unit == "个" and text[m.end() : m.end() + 1] in ("“", '"', "1", "百"):
            return None  # 四个100%, 四个“全覆盖”: a slogan
        if text[max(0, m.start() - 1) : m.start()] == "届":
            return None  # 八届二次全会
        if unit in ("次", "届") and text[m.end() : m.end() + 2].startswith(("全会", "会议", "党代会")):
            return None
    before = text[max(0, m.start() - 12) : m.start()]
    if _NAMED.search(text[max(0, m.start() - 2) : m.end() + 1]) or before.endswith(("“", '"', "《")):
        return None
    if before.rfind("“") > before.rfind("”"):
        return None  # inside quotes: a slogan or a name (“四个100%”)
    if arabic and text[m.end() : m.end() + 1] in ("号", "〕", "]"):
        return None
    if unit == "位" and not m.group("rank"):
        return None  # 3位 (three people) reads as 人 in reports only after 第; leave it
    if m.group("rank") and unit not in ("位", "名"):
        return None  # 第三次, 第一批: an ordinal, not a figure
    if unit == "日" and re.search(r"[\d一二三四五六七八九十]月$", text[max(0, m.start() - 3) : m.start()]):
        return None  # 3月8日: a date
    if (
        not arabic
        and unit in ("个", "项", "次")
        and text[m.start() - 1 : m.start()] in ("第", "这", "那", "每")
    ):
        return None
    measure = _measure(text[: m.start()])
    return Figure(measure, value, unit, m.group(0), m.start(), m.end())


def _measure(before: str) -> str:
    """What a figure measures: the words of its clause before it, without the verb, time
    words and filler that say how it came about (全年收到行政复议申请 → 行政复议申请)."""
    clause = _CLAUSE.split(before)[-1]
    clause = _LEADING.sub("", clause) or clause
    for _ in range(3):
        stripped = _TRAILING.sub("", clause)
        # The verb goes only when words are left that say what was done (受理31件: 受理 stays).
        without_verb = _VERBS.sub("", stripped)
        if len(without_verb) >= 2 and not without_verb.startswith("率"):
            stripped = without_verb
        stripped = _LEADING.sub("", stripped) or stripped
        if stripped == clause or not stripped:
            break
        clause = stripped
    clause = _FILLER.sub("", clause)
    return clause[-16:]


def measure_matches(asked: str, measure: str) -> bool:
    """Whether a figure measuring `measure` is one of the kind `asked` (行政复议案件 asks for
    行政复议申请 and 行政复议案件; 败诉率 is not 出庭应诉率): one holds the other, once the
    words that only say "cases" or "how many" are gone, and a rate is matched only by a rate."""
    asked, measure = _GENERIC.sub("", asked), _GENERIC.sub("", measure)
    if len(asked) < 2 or len(measure) < 2:
        return False
    if asked.endswith("率") != measure.endswith("率"):
        return False
    if asked.endswith("率") and asked[-3:] == measure[-3:]:
        return True  # 败诉率 answers 行政诉讼败诉率; 应诉率 would not
    # 行政复议 (from 办理行政复议案件) answers 行政复议案件; 行政 (from 行政案件) does not.
    return asked in measure or (measure in asked and 2 * len(measure) >= len(asked) + 1)


_GENERIC = re.compile(r"案件|数量|情况|总数|数")


def measure_key(asked: str) -> str:
    """Two characters every measure of the kind `asked` holds (see measure_matches): what a
    store may filter its figures by before they are matched; "" when it cannot say."""
    key = _GENERIC.sub("", asked)[-2:]
    return key if len(key) == 2 else ""
