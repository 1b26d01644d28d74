"""The community (小区) of a Chinese address, without building, unit or room (the seed forbids
saying them)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from huifang.rules.conditions import fact_text

# Administrative divisions at the start of an address: 山东省 青岛市 市南区 (or 即墨市) 望京街道.
_PROVINCE = re.compile(r"\S{2,7}?(?:省|自治区|特别行政区)\s*")
_CITY = re.compile(r"\S{2,6}?(?:市|自治州|地区|盟)\s*")
_DISTRICT = re.compile(r"\S{2,3}?(?:区|县|旗|市)\s*")
_TOWN = re.compile(r"\S{1,6}?(?:街道|镇|乡)\s*")
MUNICIPALITIES = frozenset({"北京市", "上海市", "天津市", "重庆市"})
# A road and its number (锦绣路2880弄, 香港中路10号), or a road followed by a space (文三路 世纪花园).
_ROAD = re.compile(
    r"^.*?(?:路|街|大道|巷|胡同|弄|里)\s*(?:\d+\s*(?:号(?!楼)|弄|巷)\s*)+|^.*?(?:路|街|大道|巷|胡同)\s+"
)
# The first building, unit, floor or room designator: 12栋, 3单元, 1202室, A座, 三号楼, 12-3-1202.
_BUILDING = re.compile(
    r"(?:(?<![A-Za-z])[A-Za-z]\d*|\d+|[一二三四五六七八九十]+)\s*(?:号楼|栋|幢|座|号(?!院)|单元|楼|层|室)"
    r"|\d+\s*-\s*\d+"
)


def _without_divisions(text: str) -> str:
    """The address after its province, city, district and street office. A community's name can
    hold the same characters (万科城市花园, 水乡花园), so a city is taken only after a province, as
    a municipality or before a district, and a county-level city or town only after a division."""
    position = 0
    province = _PROVINCE.match(text)
    if province:
        position = province.end()
    city = _CITY.match(text, position)
    if city and (position or city.group(0).strip() in MUNICIPALITIES or _DISTRICT.match(text, city.end())):
        position = city.end()
    district = _DISTRICT.match(text, position)
    if district and (position or not district.group(0).strip().endswith("市")):
        position = district.end()
    town = _TOWN.match(text, position)
    if town and position:
        position = town.end()
    return text[position:]


def _before_building(text: str) -> str:
    """The text up to the first building, unit or room designator; its last word if spaces remain."""
    building = _BUILDING.search(text)
    words = (text[: building.start()] if building else text).strip(" ,，、;；").split()
    return words[-1] if words else ""


def community(address: str, attributes: Mapping[str, object] | None = None) -> str:
    """The community (小区) of an address, without building, unit or room: the seed forbids saying
    them (不可以说具体楼号房间号). ``attributes["community"]`` wins when present. An address without
    a community name gives its road (长乐路100弄) rather than nothing."""
    given = fact_text((attributes or {}).get("community"))
    if given:
        return _before_building(unicodedata.normalize("NFKC", given))
    whole = unicodedata.normalize("NFKC", address).strip()
    text = _without_divisions(whole)
    road = _ROAD.match(text)
    if road is not None:
        text = text[road.end() :]
    # Nothing left (滨江东区3栋 read as a district, a bare 长乐路100弄5号): the road, else the whole.
    return (
        _before_building(text) or _before_building(road.group(0) if road else "") or _before_building(whole)
    )
