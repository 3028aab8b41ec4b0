"""Unit-name resolution: splitting lists, the shared 区 prefix, aliases, short forms, near misses."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import pytest

from excelflow.notice.parse import parse_notice
from excelflow.notice.units import (
    DEFAULT_ALIASES,
    UnitResolver,
    fold_width,
    group_key,
    is_group,
    is_relevant_group,
    near_miss,
)

REAL = Path(__file__).resolve().parent.parent / "excelflow" / "data" / "guangfeng-2021-task-allocation.txt"


@pytest.mark.parametrize(("text", "names"), [
    ("区工信局、商务局、科技局", ["区工信局", "区商务局", "区科技局"]),
    ("区广投集团、广发集团、农垦集团、交投集团、广旅集团、市政集团",
     ["区广投集团", "区广发集团", "区农垦集团", "区交投集团", "区广旅集团", "区市政集团"]),
    ("区生态环境局、城管局、公安局、市场监督管理局", ["区生态环境局", "区城管局", "区公安局", "区市场监督管理局"]),
    ("黑滑石综合开发指挥部、区农业局、农垦集团、工信局", ["黑滑石综合开发指挥部", "区农业局", "区农垦集团", "区工信局"]),
    ("区城管局、永丰街道、下溪街道", ["区城管局", "永丰街道", "下溪街道"]),
    ("区水利局、饶丰灌区水资源保护中心", ["区水利局", "饶丰灌区水资源保护中心"]),
    ("区生态环境局、上饶高新区、广投集团", ["区生态环境局", "上饶高新区", "区广投集团"]),
    ("区工信局,各乡镇(街道)", ["区工信局", "各乡镇(街道)"]),
    ("上饶高新区、区工信局，各乡镇（街道）", ["上饶高新区", "区工信局", "各乡镇(街道)"]),
    ("区政府办(政务服务办);区行政服务中心", ["区政府办(政务服务办)", "区行政服务中心"]),
    ("区广投集团（自来水公司）、相关乡镇(街道);", ["区广投集团(自来水公司)", "相关乡镇(街道)"]),
    ("区应急管理局、市应急局〈市消防救援支队〉、消防救援大队",
     ["区应急管理局", "市应急局〈市消防救援支队〉", "市消防救援大队"]),
    ("区工信局 区商务局\n科技局", ["区工信局", "区商务局", "区科技局"]),
    ("区政府办 (政务服务办)", ["区政府办(政务服务办)"]),
    ("区人社局、教体局等", ["区人社局", "区教体局"]),
    ("移动公司、联通公司、电信公司", ["移动公司", "联通公司", "电信公司"]),
    ("区工信局)", ["区工信局"]),
    ("", []),
    ("、;,", []),
])
def test_split_shares_the_prefix_keeps_brackets_and_drops_empty_pieces(text: str, names: list[str]) -> None:
    assert UnitResolver().split(text) == names


def test_split_follows_the_register_where_it_knows_a_name_with_or_without_prefix() -> None:
    assert UnitResolver(known=["公路分局"]).split("区城管局、公路分局") == ["区城管局", "公路分局"]
    assert UnitResolver(known=["区铜钹山管委会"]).split("区文广新旅局、铜钹山管委会") == ["区文广新旅局", "区铜钹山管委会"]
    assert UnitResolver().split("区文广新旅局、铜钹山管委会") == ["区文广新旅局", "铜钹山管委会"]


def test_short_form_resolves_to_the_prefixed_form_seen_or_known() -> None:
    assert UnitResolver().canonical("工信局") == "工信局"
    assert UnitResolver().seeing(["区工信局"]).canonical("工信局") == "区工信局"
    assert UnitResolver(known=["区工信局"]).canonical("工信局") == "区工信局"
    # The register's own spelling wins, even without the prefix.
    assert UnitResolver(known=["工信局"]).canonical("区工信局") == "工信局"
    # Two prefixed forms seen: nothing is guessed.
    assert UnitResolver().seeing(["区公安局", "县公安局"]).canonical("公安局") == "公安局"


def test_aliases_resolve_with_or_without_prefix_and_the_clerk_extends_them() -> None:
    resolver = UnitResolver()
    assert resolver.canonical("区市管局") == "区市场监督管理局"
    assert resolver.canonical("市市场监管局") == "市市场监督管理局"  # an abbreviation keeps its own level
    assert resolver.canonical("市场监管局") == "市场监管局"  # no level written: none is guessed
    assert resolver.canonical("区农业局") == "区农业局"
    extended = UnitResolver(aliases={**DEFAULT_ALIASES, "区农业局": "区农业农村局"})
    assert extended.canonical("农业局") == "区农业农村局"
    assert extended.canonical("区市管局") == "区市场监督管理局"


def test_alias_cycles_end() -> None:
    resolver = UnitResolver(aliases={"区甲局": "区乙局", "区乙局": "区甲局"})
    assert resolver.canonical("区甲局") in {"区甲局", "区乙局"}


@pytest.mark.parametrize("name", ["各乡镇(街道)", "各乡镇（街道）", "相关乡镇(街道)", "相关乡镇（街道）", "各乡镇街道"])
def test_township_groups_are_groups_in_either_bracket_width(name: str) -> None:
    assert is_group(name)
    assert UnitResolver().canonical(name) in {"各乡镇(街道)", "相关乡镇(街道)"}


@pytest.mark.parametrize("name", [
    "各县（市、区）人民政府", "各县(市)区人民政府", "各旗县（市、区）", "开发（度假）区管委会", "市级各相关部门",
    "市直有关部门", "市政府各部门", "区直各单位", "各单位", "相关县（市、区）", "县(市、区)人民政府", "乡镇(街道)",
    "各乡镇(街道)办", "各县市区政府", "有关单位",
])
def test_names_that_stand_for_several_units_are_groups(name: str) -> None:
    assert is_group(name)


@pytest.mark.parametrize("name", [
    "区工信局", "下溪街道", "区政府办(政务服务办)", "区广投集团(自来水公司)", "市应急局〈市消防救援支队〉",
    "上饶高新区", "市政府应急办", "成都高新区管委会",
])
def test_units_are_not_groups(name: str) -> None:
    assert not is_group(name)


@pytest.mark.parametrize(("name", "relevant", "key"), [
    ("各乡镇(街道)", False, "乡镇(街道)"), ("相关乡镇（街道）", True, "乡镇(街道)"),
    ("各县（市、区）人民政府", False, "县(市、区)人民政府"), ("市级各相关部门", True, "市级各相关部门"),
    ("开发（度假）区管委会", False, "开发(度假)区管委会"),
])
def test_a_group_is_all_its_members_or_the_relevant_ones_and_has_a_key_for_the_units_sheet(
        name: str, relevant: bool, key: str) -> None:
    assert is_relevant_group(name) is relevant
    assert group_key(name) == key


@pytest.mark.parametrize(("text", "names"), [
    ("市水务局，各县（区）人民政府", ["市水务局", "各县(区)人民政府"]),
    ("市交通局、农牧局", ["市交通局", "市农牧局"]),
    ("市住建局、交通局、市场监管局", ["市住建局", "市交通局", "市市场监管局"]),
    ("市政府应急办、应急局", ["市政府应急办", "市应急局"]),
    ("市经信局、市商务局等，各县、市、区政府", ["市经信局", "市商务局", "各县市区政府"]),
    ("开发（度假）区管委会、市商务局", ["开发(度假)区管委会", "市商务局"]),
    ("市发改委、都江堰市、彭州市人民政府", ["市发改委", "都江堰市", "彭州市人民政府"]),
])
def test_lists_of_other_levels_share_their_own_prefix_and_end_in_groups(text: str, names: list[str]) -> None:
    assert UnitResolver().split(text) == names


def test_a_notice_of_an_autonomous_region_shares_its_prefix() -> None:
    resolver = UnitResolver().at_level("自治区")
    assert resolver.split("自治区发展改革委、财政厅，各盟市") == ["自治区发展改革委", "自治区财政厅", "各盟市"]
    assert UnitResolver().split("自治区发展改革委、财政厅") == ["自治区发展改革委", "财政厅"]


def test_example_aliases_never_resolve_another_campaigns_bare_names() -> None:
    """Bare follow-on names take the list's prefix; an alias of another level is not used."""
    resolver = UnitResolver().seeing(["市交通局", "市住建局"])
    assert resolver.split("市住建局、交通局") == ["市住建局", "市交通局"]
    assert resolver.canonical("交通局") == "市交通局"


def test_suggest_names_near_misses_but_never_merges_them() -> None:
    resolver = UnitResolver(known=["区农业农村局", "区创文办", "区教育体育局", "区生态环境局", "区广投集团"])
    assert resolver.suggest("区农业局") == "区农业农村局"
    assert resolver.canonical("区农业局") == "区农业局"
    assert resolver.suggest("区教体局") == "区教育体育局"
    assert resolver.suggest("区生态环竟局") == "区生态环境局"  # one slip in a long name
    assert resolver.suggest("区创卫办") is None  # 创卫办 and 创文办 are two offices
    assert resolver.suggest("区广投集团(自来水公司)") is None  # a bracketed part names another unit
    assert resolver.suggest("区农业农村局") is None
    assert resolver.suggest("区公安局", ["区农业局", "区农业农村局"]) is None


def test_among_all_names_of_the_real_notice_only_one_pair_is_a_near_miss() -> None:
    notice = parse_notice(REAL)
    names = sorted({n for t in notice.tasks for n in (*t.lead, *t.co)})
    assert len(names) > 50
    pairs = [(a, b) for a, b in combinations(names, 2) if near_miss(a, b)]
    assert pairs == [("区农业农村局", "区农业局")]


def test_fold_width_keeps_length_and_folds_only_full_width_forms() -> None:
    text = "（主办单位：区工信局；协办单位：上饶高新区，各乡镇（街道））１．　、。"
    folded = fold_width(text)
    assert len(folded) == len(text)
    assert folded == "(主办单位:区工信局;协办单位:上饶高新区,各乡镇(街道))1. 、。"
