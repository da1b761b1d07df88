"""The figures a passage states, each read as a person reads it: what it measures, its value and
unit, the year it is of, and whether it is a part of a total or a change rather than a value.

`收到行政复议申请34件` → (行政复议申请, 34, 件); `一审行政诉讼案件败诉率下降到4.1%` →
(行政诉讼败诉率, 4.1, %); `办结率98.92%`, `15.19万元`, `11期`, `排名第10位`, and in Chinese
numerals (`三次`, `百分之九十五`). Kept at ingest beside the passages, so that a question about a
figure can lead with it and a question across reports can rank places by it.

- Years: a figure is of the year its sentence names before it (`2021年 31，2022年 26`, a table
  row's year columns, `从2019年的15%提高到2020年的29.65%`, `较2019年的27件`); with none it is of
  its report's year (Figure.year None). `2018年以来…分别为16.4%、11.36%` are one a year.
- Periods, ages, dates and durations (`2年`, `连续五年`, `3个月`, `60日内`, `20个工作日`) are not
  figures; nor are bounds (`不足500件`, `少于5件`, `尚未达到100%`).
- A part is not the whole: figures after `其中` or of `…151件中` are parts (Figure.part), each
  measuring its own thing (营业执照46件).
- A change (`同比增长128.78%`, `增加11件`, `上升0.84个百分点`) measures the change
  (收案数同比增长), not the thing; a goal (`力争…达到100%`) is kept as one (Figure.kind).
- What a figure measures is the words of its clause before it without the verbs, time and scope
  words that say how it came about; when nothing is left (`完成9次权力清单调整`, `对18个县政府
  开展督查`), the words after it; a list (`分别为3595件、3125件`) shares its first's measure.
  `达到`/`保持`/`均为` introduce values; `实现100%出庭` measures 出庭率. A figure of the
  whole place (`全县…`, `全省各级…`) is kept as such (kind "all"), beside those of its bodies.

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
    *("类", "倍", "位", "%", "个百分点", "百分点", "张", "课时", "学时", "批次", "户次", "家次"),
    *("部", "亩", "支", "平方米", "公里", "场次", "万名", "万户", "册", "套", "种", "余", "轮"),
)
# Durations and periods: read so that they are not taken for counts (3个月 is not 3个), never kept.
_PERIODS = ("个工作日", "工作日", "个月", "小时", "分钟", "天", "日", "年", "周", "月")
_UNIT = "|".join(re.escape(u) for u in sorted((*_UNITS, *_PERIODS), key=len, reverse=True))
_CN_DIGIT = "零〇一二两三四五六七八九"
_CN_NUMBER = rf"[{_CN_DIGIT}十百千万]+"
_APPROX = "余多近约超"
# A number as written: 34, 1,200, 98.92, 15.19万 (万 before a unit), 三, 十一, 百分之九十五.
_FIGURE = re.compile(
    rf"(?P<rank>第)?(?P<pct>百分之)?(?P<sign>[+\-−])?"
    rf"(?P<num>\d{{1,3}}(?:,\d{{3}})+(?![\d])(?:\.\d+)?|\d+(?:\.\d+)?|{_CN_NUMBER})"
    rf"(?P<mult>[万亿](?![元人件名户次]))?(?P<approx>[{_APPROX}])?\s*(?P<unit>{_UNIT}|％)?"
)
# Where a clause starts: a measure never reaches past these (quotes and brackets stay inside:
# “一业一证”落地行业, 重点领域信息(执法监督)).
_CLAUSE = re.compile(r"[，,。；;：:、！？!?\s|]")
_SENTENCE = re.compile(r"[。；;！？!?\n]")
# Words before a figure that say how it came about, not what it measures.
_LEADING = re.compile(
    r"^(?:全年|今年|去年|当年|年内|本年度|本年|依法|先后|分别|各级|累计|共计|总计|合计|共|已|又|再|均|"
    r"通过(?![率数人])|积极|有针对性地|扎实|深入|持续(?![时])|大力|"
    r"[\u4e00-\u9fff]{1,6}?[县区市乡镇](?=全[县区市乡镇])|全(?:市|县|区|省|镇|乡|旗|街道|局|院)|"
    r"我(?:县|区|市|镇|乡|局|院|委|办|厅|省)|本级|以上|对|向|为|在|从|将|由|其中|同比|较上年|比上年|"
    r"(?:19|20)\d{2}\s*年度?(?:全年|[底末初])?的?|(?:19|20)\d{2}(?=[\u4e00-\u9fff])|[一二三四五六七八九十]+是|\d+[-—至]\d+月|前\d+月|\d{1,2}月(?:份|底|末)?(?:以来)?|"
    r"[省市县区乡镇]级|全部|平均|\d{1,2}[.、](?!\d)|[(（]?[一二三四五六七八九十\d]{1,2}[)）])+"
)
_TRAILING = re.compile(
    r"(?:分别|同比)?(?:下降|上升|提高|提升|增长|减少|达到|达|为|至|到|了|共|计|约|近|超过|超|逾|以上|均|累计|总计|"
    r"合计|保持|稳定在|实现|排名|排|位列|位居|名列|居|列|是|有|等|的|最高|最低|最多|最少|"
    r"(?:从|由|在)?(?:19|20)\d{2}年度?(?:全年|年底|年末|\d{1,2}月(?:份|底|末)?)?的?|在)+$"
)
_FILLER = re.compile(r"案件(?=[\u4e00-\u9fff]*率$)|^一审|^二审")
_VERB_WORDS = (
    r"支付|收到|受理|办理|审查|审核|出具|开展|组织|举办|召开|主持召开|培训|发放|查处|处理|"
    r"清理|制定|修订|出台|印发|发布|公开|提供|接待|解答|聘请|配备|完成|实现|参加|参与|新增|录入|推送|"
    r"备案|征集|报送|立案|作出|开具|核发|动员|覆盖"
)
# What became of cases (审结26件, 纠错4件) is a measure of its own, never stripped.
OUTCOMES = r"审结|办结|结案|纠错|纠正|撤销|维持|驳回|终止|确认违法|败诉|胜诉|化解|调解|排查"
_VERBS = re.compile(rf"^(?:{_VERB_WORDS})")
_ONLY_VERBS = re.compile(rf"(?:{_VERB_WORDS}|{OUTCOMES}|对|为|向|达|等|和|与|及|了|的|是|全年|共)*")
# A change, not a value: the words right before the figure.
_CHANGE = re.compile(
    r"(?:同比|较上年|比上年|环比)?(?:分别)?(?:增长|增加|减少|下降|上升|提高|提升|降低|增幅|降幅|增减|增长了|"
    r"减少了|增加了|下降了|上升了|提高了)$"
)
_CHANGE_BEFORE = re.compile(r"同比|较上年|比上年|环比|较去年|增幅|降幅")
# Bounds and misses, not figures: 不足500件, 少于5件, 尚未达到100%.
_BOUND = re.compile(r"(?:不足|少于|低于|不到|未达到|未达|未超过|未满|以内|以下)$")
_GOAL = re.compile(r"力争|确保|争取|目标|计划|预计|将达到|要求")
# Not figures: a name or a plan with a number in it.
_NAMED = re.compile(
    r"[“\"《(（]?(?:八五|七五|十四五|十三五|二十大|十九大|十九届|二十届|[一二三四五六七八九十]+中全会)"
)
_ROW_LABEL = re.compile(r"^([\u4e00-\u9fff]{2,20})(?:[（(]([\u4e00-\u9fff%]{1,3})[）)])?[：:]")
# A year named: 2021年, 2023年度, and 2023 before words (2023总共…), not 2000余人.
_YEAR = re.compile(
    r"(?<![\d.])((?:19|20)\d{2})(?:年度?|(?=[\u4e00-\u9fff])(?![余多万千百件人次个名项条元户家场期份篇]))"
)
_CJK = re.compile(r"[\u4e00-\u9fff]")
_GENERIC = re.compile(r"次数|人数|件数|个数|数量|总数|情况|案件|各类|各项|各种|数")
_BRACKETS = re.compile(r"[（(][^（()）]{0,24}[）)]")
_INCLUDING = re.compile(r"[（(](?:含|包括|包含|指|即|注)[^（()）]{0,24}[）)]")
_PINYIN = re.compile(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)")
_ENDS_WITH_VERB = re.compile(rf"(?:{_VERB_WORDS}|开展|组织|举办|召开|建成|打造|推出|建设)$")
_SAME_AS_BEFORE = re.compile(
    r"(?:[、和及]|[到至](?:(?:19|20)\d{2}年度?)?(?:全年|年底|年末)?的?|较(?:19|20)\d{2}年度?的?|"
    r"\d{1,2}月(?:份)?[为是达]?)$"
)
_SHARE = re.compile(r"占比|比例|比重|占比例")
_WHOLE = re.compile(r"全(?:省|市|县|区|镇|乡|旗|街道)|全年全")
_RATES = ("率", "比", "比例", "度", "比重")
_CN_VALUES = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_MAX_MEASURE = 20


# Stored figures carry the format they were extracted by; another format re-extracts them.
FIGURES_FORMAT = "2"


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
    if "，" in written:
        # Folding makes ， a comma; 31，2022 is two numbers, not 312,022.
        text = "".join("，" if w == "，" else t for w, t in zip(written, text, strict=True))
    out: list[Figure] = []
    at = 0
    row = _row_figures(text, written)
    if row is not None:
        return row
    if text.count("|") >= 2 and "\n" in text:
        # A table drawn with | kept whole, as passages stored before text tables were read by
        # row: still read, until the report is read again.
        out += _table_figures(text, written)
    for sentence in _SENTENCE.split(text):
        if sentence.count("|") < 2:
            out += _sentence_figures(sentence, at, written)
        at += len(sentence) + 1
    return sorted(out, key=lambda f: f.start)


_CELL_UNIT = re.compile(r"[（(]([\u4e00-\u9fff%]{1,3})[）)]\s*$")
_CELL_NUMBER = re.compile(rf"^(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>{_UNIT}|％)?$")


def _table_figures(text: str, written: str) -> list[Figure]:
    """The figures of a table drawn with `|`, one row a line: each value cell measures its
    column's header (with the row's label for a ratio), in the unit its cell, header or
    caption (行政处罚实施数量(宗)) gives; a year column gives its year; counts broken down along a
    row are parts of the total, but for its 合计 column."""
    out: list[Figure] = []
    caption_unit, header = "", list[str]()
    at = 0
    for line in text.split("\n"):
        start, at = at, at + len(line) + 1
        if line.count("|") < 2:
            continue
        cells, pos = [], start
        for raw in line.split("|"):
            cells.append((raw.strip(), pos + len(raw) - len(raw.lstrip())))
            pos += len(raw) + 1
        filled = [c for c in cells if c[0]]
        numbers = [c for c in filled if _CELL_NUMBER.match(c[0])]
        if len(filled) == 1 and not numbers:
            named = _CELL_UNIT.search(filled[0][0])
            caption_unit = named.group(1) if named else caption_unit
            continue
        if not numbers:
            header = [c[0] for c in cells]
            continue
        label = cells[0][0] if cells[0][0] and not _CELL_NUMBER.match(cells[0][0]) else ""
        values = [(i, c) for i, c in enumerate(cells) if c[0] and _CELL_NUMBER.match(c[0])]
        by_years = any(_YEAR.match(header[i]) for i, _ in values if i < len(header))
        for i, (cell, offset) in values:
            m = _CELL_NUMBER.match(cell)
            assert m is not None
            head = header[i] if i < len(header) else ""
            head_unit = _CELL_UNIT.search(head)
            name = _CELL_UNIT.sub("", head).replace(" ", "")
            unit = m.group("unit") or (head_unit.group(1) if head_unit else "") or caption_unit
            unit = "%" if unit == "％" else unit
            value = float(m.group("num"))
            if not unit or unit in _PERIODS or (value == 0 and not m.group("unit")):
                continue  # a bare number, a period; a bare 0 is an empty cell
            year = int(name[:4]) if _YEAR.match(name) else None
            if year is not None:
                measure = label
            elif unit == "%" and label:
                measure = name + label  # 举报投诉处理占新受理数比例
            else:
                measure = name or label
            total = re.search(r"合计|总计|总数", name) is not None
            part = not by_years and not total and unit != "%" and len(values) >= 3
            end = offset + len(cell)
            out.append(Figure(_readable(measure), value, unit, written[offset:end], offset, end, year, part))
    return out


# A table row as the readers render it (retrieval.decode.table_row_texts): `名称：表头 值，表头 值`
# or, for a row of numbers only, `表头 值，表头 值`.
_ROW_TEXT = re.compile(r"^(?:(?P<label>[^：:，。；;\n]{1,30})[：:])?(?P<pairs>[^：:。；;\n]+)$")
_UNIT_NAMED = re.compile(rf"[（(](?P<unit>{_UNIT}|％)[）)]$")
_GENERIC_LABEL = re.compile(r"数量|数目|件数|人数|项目|类别|分类|指标|内容|名称|事项|单位|情况|统计|数")
_TOTAL_LABEL = re.compile(r"合计|总计|小计|共计|总数")
_RATE_LABEL = re.compile(r"(?:率|比例|占比|比重|占[\u4e00-\u9fff]{0,8}比例?)$")
# A column counting a thing by its measure word: 件数, 人数, 次数 (not 总数, 数量).
_COUNT_OF = re.compile(r"([件人次个项户家场条篇份])数$")
_WHO_LABEL = re.compile(r"..(?:局|厅|委|院|办|中心|政府|所|站|队|镇|乡|街道|县|区|市|州|盟|旗)$")
_BLANK_CELL = re.compile(r"[—–\-－/／]{1,2}|无")
_CHANGE_NAME = re.compile(r"同比|增减|增长|增幅|降幅|减少|增加|较上年|比上年")


def _row_figures(text: str, written: str) -> list[Figure] | None:
    """The figures of a table row whose every cell after its name is `表头 数值`, none headed by
    a year (a year row reads as a sentence does: `行政复议案件（件）：2022年 26，2023年 34`); None
    when `text` is no such row.

    Each value measures its column's header, after the row's name when that says what is
    counted (`省人社厅：收案数 132` → 省人社厅收案数) and before it for a ratio (`占新受理数比例：
    治安 28.6%` → 治安占新受理数比例) or a total (`合计：收案数 376` → 收案数合计), alone when the name
    says nothing (`数量：治安 12件`), and the row's name alone when the column's says nothing or
    there is none (`好评：数量 960条`, `“好差评”合计：965条`); its unit is the cell's, else its
    header's or the row name's (`合计(宗) 144`, `行政处罚案件（件）`) or what its header counts
    (`本年制发件数 3`: 件); a bare number or a bare 0 is no figure. Counts broken down along a
    row (three or more) and a body's or a place's row (县公安局, 十堰市) are parts of a total,
    but for a total's own column or row."""
    m = _ROW_TEXT.match(text)
    if m is None or ("，" not in m.group("pairs") and not m.group("label")):
        return None
    label = m.group("label") or ""
    label_unit = _UNIT_NAMED.search(label)
    name_of_row = _UNIT_NAMED.sub("", label).replace(" ", "")
    # A row of a year (2021年：收案 26件): its values are of that year, each its column's.
    year_row = _YEAR.fullmatch(name_of_row) or re.fullmatch(r"((?:19|20)\d{2})年度?", name_of_row)
    year = int(year_row.group(1)) if year_row else None
    name_of_row = "" if year_row else name_of_row
    cells: list[tuple[str, str, int]] = []  # (header, cell, offset of the cell)
    at = m.start("pairs")
    for pair in m.group("pairs").split("，"):
        head, _, cell = pair.rpartition(" ")
        if _BLANK_CELL.fullmatch(cell):
            continue  # 交通 —: a cell marked blank
        if not (head or label) or _CELL_NUMBER.match(cell) is None:
            return None
        if _YEAR.match(head) or _CHANGE_NAME.search(head):
            return None
        cells.append((head, cell, at + len(head) + 1))
        at += len(pair) + 1
    out: list[Figure] = []
    for head, cell, offset in cells:
        number = _CELL_NUMBER.match(cell)
        assert number is not None
        head_unit = _UNIT_NAMED.search(head)
        unit = number.group("unit") or (head_unit or label_unit or {"unit": ""})["unit"]
        if not unit and (counted := _COUNT_OF.search(head)):
            unit = counted.group(1)  # 本年制发件数 0: a count of 件
        unit = "%" if unit == "％" else unit
        value = float(number.group("num"))
        if not unit or unit in _PERIODS or (value == 0 and not number.group("unit")):
            continue  # a bare number, a period; a bare 0 is an empty cell
        name = _UNIT_NAMED.sub("", head).replace(" ", "")
        if not name or _GENERIC_LABEL.fullmatch(name):
            measure = name_of_row or name  # `“好差评”合计：965条`, `好评：数量 960条`
        elif not name_of_row or _GENERIC_LABEL.fullmatch(name_of_row):
            measure = name
        elif unit == "%" or _RATE_LABEL.search(name_of_row) or _TOTAL_LABEL.fullmatch(name_of_row):
            measure = name + name_of_row
        else:
            measure = name_of_row + name
        total = _TOTAL_LABEL.search(name) is not None or _TOTAL_LABEL.fullmatch(name_of_row) is not None
        # A body's or a place's row (县公安局：收案数 41) is its share of the table's whole.
        part = not total and (
            _WHO_LABEL.search(name_of_row) is not None
            or (unit not in ("%", "元", "万元", "亿元", "千元") and len(cells) >= 3)
        )
        end = offset + len(cell)
        out.append(Figure(_readable(measure), value, unit, written[offset:end], offset, end, year, part))
    return out


def _sentence_figures(sentence: str, at: int, written: str) -> list[Figure]:
    """The figures of one sentence starting at `at` of the passage (`written` as it was)."""
    # A table row (行政复议案件（件）：2021年 21，2022年 34) measures what its first cell names.
    label = _ROW_LABEL.match(sentence)
    label_unit = (label.group(2) or "") if label else ""
    years = [(m.start(), m.end(), int(m.group(1))) for m in _YEAR.finditer(sentence)]
    out: list[Figure] = []
    previous: Figure | None = None
    previous_after = ""  # the words after the figure before, when they are what it measures
    part = False
    for m in _FIGURE.finditer(sentence):
        # 其中…, 151件中… : what follows counts parts of a total stated before; a 其中 inside
        # brackets closed before the figure, (其中21名…现场述法)和…471名, only what they hold.
        head = _BRACKETS.sub("", sentence[: m.start()])
        part = "其中" in head or re.search(r"\d[件人次个项条]中", head) is not None
        found = _figure(sentence, m, label_unit)
        if found is None:
            continue
        value, unit = found
        floor = previous.end - at if previous is not None else 0
        measure, after, previous_clause = _measure(sentence, m, floor)
        kind = ""
        before = sentence[max(0, m.start() - 14) : m.start()].rstrip()
        change = _CHANGE.search(before)
        if (
            change
            or unit in ("个百分点", "百分点")
            or (
                _CHANGE_BEFORE.search(_clause_before(sentence, m.start()))
                and not re.search(r"[到至为]$", before)
            )
        ):
            kind = "change"
        elif _GOAL.search(_clause_before(sentence, m.start())):
            kind = "goal"
        elif _WHOLE.search(_clause_before(sentence[floor:], m.start() - floor)):
            kind = "all"  # 全县…, 全省各级…: the place's own total, not a body's within it
        if label and not _CJK.search(_strip_years(measure)):
            measure = label.group(1) + measure if kind == "change" else label.group(1)
        elif previous is not None and _SHARE.fullmatch(measure):
            # 不见面审批事项2369项，占比95.87%: the share of what was just counted.
            measure = previous.measure + measure
        elif kind == "change" and previous is not None and len(_strip_years(measure)) < 3:
            # 新受理…151件，同比增长128.78%: the change of what was just stated.
            measure = previous.measure + (change.group(0) if change else measure)
        elif (
            after
            and previous_after
            and (qualifier := _after_a_named_count(sentence[floor : m.start()], previous_after)) is not None
        ):
            # 召开2次常务会议和3次专题会议: the words before this count name the one before it.
            measure = qualifier + after
        elif _TOTAL_WORD.fullmatch(_clause_before(sentence, m.start())) and previous is not None:
            # 非常满意802条，满意163条，合计965条: the total of the list before it.
            measure = _list_subject([f.measure for f in out]) + _clause_before(sentence, m.start())
        elif not _weak(measure):
            pass
        elif previous is not None and (
            (_SAME_AS_BEFORE.search(before) and not (after and re.search(r"[、和及]$", before)))
            or not sentence[floor : m.start()].strip()
        ):
            # A list sharing its first's measure (分别为3595件、3125件), last year's (较2019年的
            # 27件), where it went (由15%提高到2020年的29.65%), or a second unit (4期189人次).
            measure = previous.measure
        elif after:
            measure = after
        elif (
            previous_clause
            and not _weak(previous_clause)
            and not re.fullmatch(rf"(?:{OUTCOMES})", _strip_years(measure))
        ):
            # 占受理案件数比例最高，达92.71%; but 审结的案件中，胜诉24宗 counts 胜诉.
            measure = previous_clause
        follows = sentence[m.end() : m.end() + 2]
        if unit == "%" and len(follows) == 2 and measure.startswith(follows) and not measure.endswith(_RATES):
            measure += "率"  # 实现100%出庭: the rate of 出庭
        year = _year_of(sentence, m.start(), years, [f.year for f in out])
        figure = Figure(
            _readable(measure),
            value,
            unit,
            written[at + m.start() : at + m.end()],
            at + m.start(),
            at + m.end(),
            year,
            # A rate after 其中 in its own clause (其中10月为89%) is a part's; one in a later
            # clause (其中…56件，立案率为82%) is still the whole's.
            (part and unit not in ("%", "个百分点", "百分点", "位"))
            or _rate_of_a_part(sentence, m.start(), unit),
            kind,
        )
        out.append(figure)
        previous = figure
        follows = re.sub(r"^[的次余多人个)）]+", "", _BRACKETS.sub("", sentence[m.end() :]))
        previous_after = measure if len(measure) >= 2 and follows.startswith(measure) else ""
    return out


_TOTAL_WORD = re.compile(r"合计|共计|总计|总共")
# A conjunction between two things counted (not 和解, 和谐, 及时, 与会).
_CONJUNCTION = re.compile(r"以及|和(?!解|谐)|及(?!时)|与(?!会)|、")
_CONJUNCTION_INSIDE = re.compile(r"(?<=[\u4e00-\u9fff”）)])(?:以及|和(?!解|谐)|及(?!时)|与(?!会)|、)")
_QUOTED_HEAD = re.compile(r"^[“\"][^”\"]{1,12}[”\"]")


def _after_a_named_count(between: str, named: str) -> str | None:
    """When `between` (the words from the figure before to this one) are `named`, what the
    figure before counts (`常务会议` of 2次常务会议), then a conjunction: the words after it that
    qualify this count's thing (`工商联所属` of 律师事务所与工商联所属9家商会), maybe ""; else None."""
    words = _BRACKETS.sub("", between).strip()
    if not words.startswith(named):
        return None
    rest = words[len(named) :]
    conjunction = _CONJUNCTION.match(rest)
    if not rest or conjunction is None:
        return "" if not rest else None
    return rest[conjunction.end() :]


def _list_subject(measures: list[str]) -> str:
    """What the measures of a list are of, that their total is the total of: a quoted name they
    start with (“好差评”), else the words they all end or start with (案件 of 复议案件、诉讼案件)."""
    if not measures:
        return ""
    quoted = _QUOTED_HEAD.match(measures[0])
    if quoted:
        return quoted.group(0)
    suffix = _common_start([m[::-1] for m in measures])[::-1]
    common = suffix if len(suffix) >= 2 else _common_start(measures)
    return common if len(common) >= 2 and len(measures) >= 2 else ""


def _common_start(texts: list[str]) -> str:
    first = texts[0]
    n = 0
    while n < len(first) and all(len(t) > n and t[n] == first[n] for t in texts):
        n += 1
    return first[:n]


def _rate_of_a_part(sentence: str, start: int, unit: str) -> bool:
    """Whether the rate starting at `start` follows 其中 in its own clause."""
    if unit != "%":
        return False
    clause = re.split(r"[，,；;。]", sentence[:start])[-1]
    return "其中" in clause


def _figure(text: str, m: re.Match[str], label_unit: str) -> tuple[float, str] | None:
    """The (value, unit) of a number match, or None when it is no figure."""
    num, unit = m.group("num"), m.group("unit") or ""
    if m.group("mult") and unit:
        unit = m.group("mult") + unit if not unit.startswith(m.group("mult")) else unit
    if m.group("pct"):
        unit = "%"
    unit = "%" if unit == "％" else unit
    arabic = num[0].isdigit()
    if not unit:
        if m.group("rank") and re.search(
            r"(?:排名|排|位列|位居|名列|列)$", text[max(0, m.start() - 3) : m.start()]
        ):
            unit = "位"  # 综合排名第二
        elif label_unit and arabic and re.search(r"(?:19|20)\d{2}年度?\s*$", text[: m.start()]):
            unit = label_unit  # 行政复议案件（件）：2021年 31
        else:
            return None  # a bare number: a year's digits, an article, a code
    if unit in _PERIODS or unit == "余":
        return None  # 2年, 3个月, 60日内: a period or a date, not a count
    if arabic:
        value = float(num.replace(",", ""))
    else:
        if len(num) == 1 and num in "两" and unit not in ("个", "项", "次", "名", "人", "家"):
            return None
        parsed = cn_value(num) if num not in ("万", "千", "百", "亿") else None
        if parsed is None:
            return None
        value = parsed
        if value <= 2 and unit in ("次", "个", "件", "期", "批", "级", "宗", "项"):
            return None  # 最多跑一次, 二期工程, 一件事, 算一宗: idioms and names, not counts
        if unit in ("类", "项", "种") and value <= 10:
            return None  # 三类事务, 五项措施: kinds of things, not counts of them
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
    if arabic and text[m.end() : m.end() + 1] in ("号", "〕", "]", "×", "*"):
        return None
    if text[max(0, m.start() - 1) : m.start()] in ("×", "*"):
        return None  # 7×24小时
    if unit == "位" and not m.group("rank"):
        return None  # 3位 (three people) reads as 人 in reports only after 第; leave it
    if m.group("rank") and unit not in ("位", "名"):
        return None  # 第三次, 第一批: an ordinal, not a figure
    if (
        not arabic
        and unit in ("个", "项", "次")
        and text[m.start() - 1 : m.start()] in ("第", "这", "那", "每")
    ):
        return None
    if _BOUND.search(text[max(0, m.start() - 4) : m.start()]) or text[m.end() : m.end() + 2] in (
        "以内",
        "以下",
    ):
        return None  # 不足500件, 少于5件, 尚未达到100%: a bound, not what was done
    if m.group("sign") in ("-", "−"):
        value = -value
    return value, unit


def _clause_before(text: str, start: int) -> str:
    return _CLAUSE.split(text[:start])[-1]


def _strip_years(measure: str) -> str:
    return re.sub(r"(?:19|20)\d{2}年度?|较|比|的", "", measure)


def _weak(measure: str) -> bool:
    """Whether a measure says nothing of what was counted (为, 完成, 对, 全区)."""
    core = _strip_years(measure)
    return len(core) < 2 or _ONLY_VERBS.fullmatch(core) is not None or not _CJK.search(core)


def _measure(text: str, m: re.Match[str], floor: int) -> tuple[str, str, str]:
    """What a figure measures from the words of its clause before it, without the verb, time
    words and filler that say how it came about (全年收到行政复议申请 → 行政复议申请); the words
    after it in its clause, for when those before say nothing (召开2次常务会议); and the clause
    before its own, for `占…比例最高，达92.71%`. None reaches past the figure before it
    (`floor`); brackets inside a clause do not end it (纠错(含撤销、确认违法)29件)."""
    head = _inside_brackets(text[floor : m.start()])
    masked = _BRACKETS.sub(lambda b: "\x00" * len(b.group(0)), head)
    pieces = list(_CLAUSE.finditer(masked))
    start = pieces[-1].end() if pieces else 0
    raw = _INCLUDING.sub("", _PINYIN.sub("", head[start:]))
    if floor and not start and (conjunction := _CONJUNCTION.match(raw)):
        raw = raw[conjunction.end() :]  # 撤销6件和维持20件: 维持
    previous_clause = ""
    if pieces:
        before_start = pieces[-2].end() if len(pieces) > 1 else 0
        # 135件(含上年度结转)，其中纠错29件: a bracketed note says nothing of what follows.
        previous_clause = _INCLUDING.sub("", head[before_start : pieces[-1].start()])
        if re.search(r"\d|[一二三四五六七八九十百]", previous_clause):
            previous_clause = ""
    clause = _clean(raw[:-1] if raw.endswith(("(", "（")) else raw)  # 八类案件(1532件)
    # 对18个县(市、区)政府开展督查: brackets inside the words after do not end them.
    after = _CLAUSE.split(_BRACKETS.sub("", _PINYIN.sub("", text[m.end() :])))[0]
    ends = re.search(r"\d|全部|均|已|被|全面|按时|实现|达到", after)
    if ends is not None:
        after = after[: ends.start()]
        if ends.group(0).isdigit():
            # 5家律师事务所与工商联所属9家商会: the words after a conjunction are the next count's.
            after = _CONJUNCTION_INSIDE.split(after)[0]
    after = re.sub(r"^[的次余多人个)）]+", "", after)
    if _CONJUNCTION.match(after):
        after = ""  # 撤销6件和维持20件: what follows 和 is another count's, not this one's
    after = re.sub(r"[和及与、]+$", "", after)  # 4个县长和8个部门负责人: 县长, not 县长和
    after = _VERBS.sub("", after) if len(_VERBS.sub("", after)) >= 2 else after
    after = after if len(_CJK.findall(after)) >= 2 and not _YEAR.match(after) else ""
    if after and (raw.endswith("等") or _ENDS_WITH_VERB.search(raw)):
        # 灵活就业等62个“一件事”场景; 市场监管领域开展42批次“双随机”抽查: the counted thing follows.
        verb = _ENDS_WITH_VERB.search(raw)
        lead = _clean(raw[: verb.start()]) if verb and not raw.endswith("等") else ""
        # 市政府召开6次政府常务会议…: who did it is no part of what was counted.
        who = re.search(r"(?:政府|局|厅|委|办|院|中心|街道|镇|乡)$", lead) is not None
        return (lead + after if not _weak(lead) and not who else after), "", ""
    return clause, after[:_MAX_MEASURE], _clean(previous_clause)


# 单位开展年度考核: those (单位) something (年度考核) was done to.
_DONE_TO = re.compile(r"^([\u4e00-\u9fff]{2,10}?)(?:开展|进行了?|实施|组织)了?([\u4e00-\u9fff]{2,8})$")


def _inside_brackets(head: str) -> str:
    """The words before a figure within its own brackets: after a bracket closed that opened
    before them (…现场述法)和2024年度全市471名), or after the one the figure is in ((其中21名)."""
    start, still_open = 0, []  # positions after each bracket opened and not yet closed
    for i, ch in enumerate(head):
        if ch in "(（":
            still_open.append(i + 1)
        elif ch in ")）":
            if still_open:
                still_open.pop()
            else:
                start = i + 1  # closes a bracket opened before `head`
    if still_open and head[still_open[0] :].strip():
        start = max(start, still_open[0])  # (其中21名…: its words; 城建拆迁(17.1%): the words before
    return head[start:]


def _clean(clause: str) -> str:
    """A clause's words without those saying how or when a figure came about."""
    clause = _LEADING.sub("", clause)
    for _ in range(3):
        stripped = _TRAILING.sub("", clause)
        # The verb goes only when words are left that say what was done (受理31件: 受理 stays).
        without_verb = _VERBS.sub("", stripped)
        if len(_GENERIC.sub("", without_verb)) >= 2 and not without_verb.startswith("率"):
            stripped = without_verb
        stripped = _LEADING.sub("", stripped)
        if stripped == clause or not stripped:
            clause = stripped
            break
        clause = stripped
    return _FILLER.sub("", clause)


def _readable(measure: str) -> str:
    """A measure no longer than a reader takes in, cut where a word starts, never mid-word
    (…县政府办公室配备人员 → 配备人员, not 公室配备人员)."""
    if measure.count("(") != measure.count(")") or measure.count("（") != measure.count("）"):
        measure = measure.strip("()（）")
    if measure.count("“") != measure.count("”"):
        measure = measure.strip("“”")
    if measure.count("“") != measure.count("”"):
        measure = measure.replace("“", "").replace("”", "")
    if len(measure) <= _MAX_MEASURE:
        return measure
    tail = measure[-_MAX_MEASURE:]
    cut = max(tail.rfind(w) + len(w) for w in ("的", "对", "在", "将", "和", "及", "、", "，", "”", "于"))
    years = [y.end() for y in re.finditer(r"\d+年度?", tail)]
    cut = max(cut, years[-1] if years else 0)
    if 0 < cut <= len(tail) - 3:
        return tail[cut:]
    verb = [m.start() for m in re.finditer(_VERB_WORDS, tail)]
    return tail[verb[0] :] if verb and len(tail) - verb[0] >= 3 else tail


def _year_of(
    text: str,
    start: int,
    years: list[tuple[int, int, int]],
    listed: list[int | None],
) -> int | None:
    """The year a figure at `start` is of: the last year its sentence names before it, unless
    that year is inside a title or quotes, a span (2018年以来: one a year along a list), or the
    base of a comparison that is not this figure's (较2019年增加); None for its report's."""
    named = [y for y in years if y[1] <= start]
    if not named:
        return None
    s, e, year = named[-1]
    prefix = text[:s]
    if prefix.count("《") > prefix.count("》") or prefix.count("“") > prefix.count("”"):
        return None
    rest = text[e:start]
    if re.match(r"以来|至今|来", rest):
        # 2018年以来…分别为16.4%、11.36%: a list along the years from it.
        if re.search(r"分别[为是]?", rest) is None:
            return None
        return year + sum(1 for y in listed if y is not None and y >= year)
    if re.search(r"(?:较|比|与|同)$", prefix[-2:] if prefix else ""):
        # 较2019年的27件: the base year, for the figure right after it only.
        return year if re.fullmatch(r"\s*的?", rest) else None
    return year


def measure_matches(asked: str, measure: str) -> bool:
    """Whether a figure measuring `measure` is one of the kind `asked` (行政复议案件 asks for
    行政复议申请 and 行政复议案件; 出庭应诉率 for 出庭率; 聘请法律顾问 for 聘请常年法律顾问;
    败诉率 is not 出庭应诉率): once the words that only say "cases" or "how many" are gone, one
    holds the other, or the shorter's characters are the longer's in order with the same first
    and last two; a rate is matched only by a rate."""
    return measure_closeness(asked, measure) > 0


_TITLED = re.compile(r"《[^《》]{0,40}》")
# One measure written two ways: 出庭应诉率 and 出庭率, 常务会议 and 常务会.
_SHORT_FORMS = (("出庭应诉率", "出庭率"), ("常务会议", "常务会"))


def measure_closeness(asked: str, measure: str) -> int:
    """How closely `measure` answers `asked`: 4 the same, 3 it holds the question's words, 2 the
    question holds it, 1 the question's words in order, 0 not of the kind asked."""
    # 法治讲座(培训、报告会) is 法治讲座: what a bracket adds is not asked for; nor what a title
    # names (学习《行政复议法》6次 counts no 行政复议案件).
    measure = _BRACKETS.sub("", measure) if len(_BRACKETS.sub("", measure)) >= 2 else measure
    measure = _TITLED.sub("", measure)
    for long_form, short_form in _SHORT_FORMS:
        asked, measure = asked.replace(long_form, short_form), measure.replace(long_form, short_form)
    asked, measure = _GENERIC.sub("", asked), _GENERIC.sub("", measure)
    if len(asked) < 2 or len(measure) < 2:
        return 0
    if asked.endswith("率") != measure.endswith("率"):
        return 0
    if asked == measure:
        return 4
    if asked in measure:
        return 3
    verb = _VERBS.match(asked)
    if verb and asked[verb.end() :] == measure:
        return 3  # 清理牌子 is answered by 清理牌子129个, read as 牌子
    done = _DONE_TO.match(measure)
    if done and asked.replace("的", "") in (done.group(2) + done.group(1), done.group(1) + done.group(2)):
        return 3  # 年度考核的单位 is 单位开展年度考核
    # 行政复议 (from 办理行政复议案件) answers 行政复议案件; 行政 (from 行政案件) does not.
    if (
        measure in asked
        and 2 * len(measure) >= len(asked) + 1
        and (asked.startswith(measure) or asked.endswith(measure))
    ):
        return 2
    if asked.endswith("率") and asked[-3:] == measure[-3:]:
        # 行政诉讼败诉率 is answered by 败诉率; 应诉率 would not. Below a measure the question
        # holds whole: 正职负责人出庭应诉率 is not 行政机关负责人出庭应诉率 as 负责人出庭应诉率 is.
        return 1
    short, long = sorted((asked, measure), key=len)
    if short is measure and measure not in asked and 2 * len(measure) < len(asked) + 1:
        # 执法人员 is more than 持有行政执法证人员: a figure keeping less than half the question's
        # words, and not as one run (法律意见书 of 法律顾问出具法律意见书), counts a wider thing.
        return 0
    if len(short) >= 3 and _in_order(short, long) and short[-2:] == long[-2:]:
        return 1
    if short.endswith("率") and len(short) >= 3 and _in_order(short, long) and short[:2] in long:
        return 1  # 出庭率 ~ 出庭应诉率
    # …管理系统主动公开信息 answers 主动公开政府信息: its words from the question's first on.
    at = measure.find(asked[:2])
    tail = measure[at:] if at >= 0 else ""
    if len(tail) >= 4 and tail[-2:] == asked[-2:] and _in_order(tail, asked):
        return 1
    return 0


def _in_order(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


def measure_keys(asked: str) -> tuple[str, ...]:
    """Two characters at least one of which every measure of the kind `asked` holds (see
    measure_closeness): its last two and its first two (出庭率 ~ 出庭应诉率, 持有行政执法证 ~
    持有行政执法证人员).
    What a store may filter its figures by before they are matched; () when it cannot say."""
    key = _GENERIC.sub("", asked)
    if len(key) < 2:
        return ()
    return tuple(dict.fromkeys((key[-2:], key[:2])))
