"""Person and organization names: normalization, pinyin, similarity levels, phonetic keys.

Every name part gets a Latin form (ASCII, lower case; tone-less pinyin for Han characters), so
张伟, "Zhang Wei" and "Wei Zhang" compare on the same footing; the Han characters are kept to
tell an exact match (same characters) from a homophone (same pinyin, other characters).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from pypinyin import Style, lazy_pinyin
from rapidfuzz.distance import JaroWinkler

NAME_LEVELS = ("exact", "close", "similar", "different")
CLOSE, SIMILAR = 0.92, 0.80  # Jaro-Winkler cut-offs: one typo in a short name / two typos

COMPOUND_SURNAMES = frozenset(
    [
        "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "长孙",
        "宇文", "司徒", "夏侯", "轩辕", "端木", "独孤", "南宫", "西门", "万俟", "闻人", "钟离",
        "澹台", "公冶", "太史", "申屠", "呼延", "百里", "东郭", "拓跋",
    ]
)  # fmt: skip
# Characters read differently as a surname than in running text (pypinyin reads running text).
SURNAME_READINGS = {
    "单": "shan", "曾": "zeng", "解": "xie", "仇": "qiu", "朴": "piao", "查": "zha", "区": "ou",
    "乐": "yue", "覃": "qin", "翟": "zhai", "盖": "ge", "缪": "miao", "种": "chong", "重": "chong",
    "长孙": "zhangsun", "万俟": "moqi", "尉迟": "yuchi", "秘": "bi", "句": "gou", "员": "yun",
}  # fmt: skip
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_NON_LETTERS = re.compile(r"[^a-z ]+")
_SOUNDEX = {
    c: d
    for d, cs in zip("123456", ("bfpv", "cgjkqsxz", "dt", "l", "mn", "r"), strict=True)
    for c in cs
}


@dataclass(frozen=True, slots=True)
class NamePart:
    """One name (given or family, or an organization name) ready for comparison."""

    latin: str  # ASCII lower case, single spaces; pinyin syllables for Han
    compact: str  # latin without spaces: "Mary Ann" == "Maryann", 小明 == "Xiao Ming"
    han: str = ""  # the Han characters, when written in Han


def has_han(text: str) -> bool:
    """True when the text contains Han (Chinese) characters."""
    return bool(_HAN.search(text))


@lru_cache(maxsize=65536)
def fold_latin(text: str) -> str:
    """Lower case, diacritics removed, only letters and single spaces (José-María → jose maria)."""
    folded = text.casefold()
    if not folded.isascii():
        decomposed = unicodedata.normalize("NFKD", folded)
        folded = "".join(c for c in decomposed if not unicodedata.combining(c))
    folded = folded.replace("'", "").replace("’", "")  # O'Brien → obrien, not "o brien"
    return " ".join(_NON_LETTERS.sub(" ", folded).split())


@lru_cache(maxsize=65536)
def to_pinyin(han: str, *, surname: bool = False) -> str:
    """Tone-less pinyin syllables separated by spaces; surnames use their surname reading."""
    if surname and han in SURNAME_READINGS:
        return SURNAME_READINGS[han]
    chars = [c for c in han if _HAN.match(c)]
    syllables = lazy_pinyin(chars, style=Style.NORMAL, errors="ignore")
    return " ".join(s.replace("ü", "v") for s in syllables)


def split_han_name(full: str) -> tuple[str, str]:
    """Split a Han full name into (family, given); compound surnames such as 欧阳 stay whole."""
    text = "".join(c for c in full if _HAN.match(c))
    cut = 2 if text[:2] in COMPOUND_SURNAMES and len(text) > 2 else 1
    return text[:cut], text[cut:]


def name_part(raw: str | None, *, surname: bool = False) -> NamePart | None:
    """Normalize one name; None when nothing usable is left."""
    return _name_part(raw, surname) if raw else None


@lru_cache(maxsize=65536)
def _name_part(raw: str, surname: bool) -> NamePart | None:
    han = "" if raw.isascii() else "".join(_HAN.findall(raw))
    latin = to_pinyin(han, surname=surname) if han else fold_latin(raw)
    compact = latin.replace(" ", "")
    return NamePart(latin=latin, compact=compact, han=han) if compact else None


def person_name_parts(
    given: str | None, family: str | None, full: str | None
) -> tuple[NamePart | None, NamePart | None]:
    """(given, family) parts; a lone full name is split (Han: surname first, Latin: last)."""
    if (given or family) or not full:
        return name_part(given), name_part(family, surname=True)
    if has_han(full):
        fam, giv = split_han_name(full)
        return name_part(giv), name_part(fam, surname=True)
    if "," in full:  # "Family, Given" as in many legacy systems
        fam_text, _, giv_text = full.partition(",")
        return name_part(giv_text), name_part(fam_text, surname=True)
    words = full.split()
    if len(words) == 1:
        return None, name_part(words[0], surname=True)
    # Latin order is ambiguous ("Zhang Wei" / "Wei Zhang"); the swapped comparison covers it.
    return name_part(" ".join(words[:-1])), name_part(words[-1], surname=True)


def name_similarity(a: NamePart, b: NamePart) -> float:
    """1.0 for the same name, else Jaro-Winkler on the compact Latin forms."""
    if a.compact == b.compact:
        return 1.0
    return JaroWinkler.similarity(a.compact, b.compact)


def name_level(a: NamePart, b: NamePart) -> str:
    """exact / close / similar / different, with Han homophones (章 vs 张) counted as close."""
    if a.han and b.han:
        if a.han == b.han:
            return "exact"
        if a.compact == b.compact:
            return "close"
    return similarity_level(name_similarity(a, b))


def similarity_level(sim: float) -> str:
    """Map a similarity in [0, 1] to the shared name level scale."""
    if sim >= 1.0:
        return "exact"
    if sim >= CLOSE:
        return "close"
    return "similar" if sim >= SIMILAR else "different"


Parts = tuple[NamePart | None, NamePart | None]


def compare_person_names(left: Parts, right: Parts) -> tuple[str | None, str | None, bool]:
    """Levels for (given, family) and whether the best reading swapped given and family."""
    (g1, f1), (g2, f2) = left, right
    direct = (_level(g1, g2), _level(f1, f2))
    if not (g1 and f1 and g2 and f2):
        return direct[0], direct[1], False  # swapping with a missing part invents agreement
    crossed = (_level(g1, f2), _level(f1, g2))
    # Only a real agreement justifies the swap: "john"~"jones" is noise, not a reordering.
    if _rank(crossed) > _rank(direct) and ("exact" in crossed or "close" in crossed):
        return crossed[0], crossed[1], True
    return direct[0], direct[1], False


def _level(a: NamePart | None, b: NamePart | None) -> str | None:
    return name_level(a, b) if a and b else None


def _rank(levels: tuple[str | None, str | None]) -> int:
    return sum(3 - NAME_LEVELS.index(x) for x in levels if x)


@lru_cache(maxsize=65536)
def phonetic_key(text: str) -> str:
    """American Soundex of the Latin form (pinyin for Han): a blocking key robust to typos."""
    letters = fold_latin(text).replace(" ", "") if not has_han(text) else to_pinyin(text)
    letters = letters.replace(" ", "")
    if not letters:
        return ""
    code, prev = [letters[0]], _SOUNDEX.get(letters[0], "")
    for ch in letters[1:]:
        digit = _SOUNDEX.get(ch, "")
        if digit and digit != prev:
            code.append(digit)
        if ch not in "hw":  # h and w do not separate equal codes; vowels do
            prev = digit
    return ("".join(code) + "000")[:4]


_ORG_SUFFIXES = (
    "股份有限公司", "有限责任公司", "集团有限公司", "有限公司", "责任公司", "集团公司", "公司",
    "company limited", "co ltd", "pty ltd", "limited", "ltd", "incorporated", "inc", "corporation",
    "corp", "llc", "plc", "gmbh", "company", "co",
)  # fmt: skip


def normalize_org_name(raw: str | None) -> str | None:
    """Organization name without legal-form suffixes: 'Acme Co., Ltd.' → 'acme'."""
    if not raw:
        return None
    text = unicodedata.normalize("NFKC", raw)
    han = has_han(text)
    text = "".join(c for c in text if _HAN.match(c)) if han else fold_latin(text)
    stripped = True
    while stripped:
        stripped = False
        for suffix in _ORG_SUFFIXES:
            # Latin suffixes are whole words: "costco" keeps its "co".
            if text.endswith(suffix if han else " " + suffix) and len(text) > len(suffix):
                text, stripped = text[: -len(suffix)].rstrip(), True
                break
    return text or None


def org_name_level(a: str, b: str) -> str:
    """Levels for two normalized organization names (word order ignored for Latin names)."""
    if a == b:
        return "exact"
    sim = max(JaroWinkler.similarity(a, b), JaroWinkler.similarity(_sorted(a), _sorted(b)))
    return similarity_level(min(sim, 0.999))


def _sorted(text: str) -> str:
    return " ".join(sorted(text.split()))
