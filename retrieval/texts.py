"""Every user-facing Chinese sentence, for the CLI and the bot alike, in one place."""

from __future__ import annotations

from retrieval.models import Answer, Refusal

EXAMPLES = ("秀山县政务公开数据", "安化县政协提案立案率是多少", "瓦屋镇化解了多少矛盾纠纷")
MAX_PLACES_LISTED = 30


def refusal(answer: Answer) -> str:
    """Why a question got no excerpts, and how to ask instead, in one or two sentences."""
    match answer.refusal:
        case Refusal.EMPTY:
            return f"请输入一个关于法治政府建设年度报告的问题，例如：{EXAMPLES[0]}"
        case Refusal.TOO_LONG:
            return "问题太长了，请精简到500字以内再问。"
        case Refusal.NO_REPORTS:
            return "目前还没有收录任何报告，请管理员先添加报告。"
        case Refusal.UNKNOWN_PLACE:
            named = "、".join(answer.query.unknown_places)
            return f"暂未收录{named}的报告。目前收录的地区有：{places_list(answer.known_places)}。"
        case _:
            return (
                "在已收录的报告中没有找到与这个问题相关的内容。"
                f"可以换个说法，或写明地区和具体事项，例如：{EXAMPLES[1]}"
            )


def places_list(places: tuple[str, ...] | list[str]) -> str:
    shown = list(places)[:MAX_PLACES_LISTED]
    more = len(places) - len(shown)
    return "、".join(shown) + (f"等{len(places)}个地区" if more > 0 else "")
