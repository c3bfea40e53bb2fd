"""Address normalization and part-by-part comparison levels.

Normalization is for matching only: the record keeps the address as entered, and survivorship
shows that. Abbreviations are expanded to one canonical word ("st" → "street"), so "12 Smith
St." and "12 smith street" compare exact.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.distance import OSA, JaroWinkler

from services.identity.domain.records import Address

STREET_TYPES = {
    "st": "street", "str": "street", "rd": "road", "ave": "avenue", "av": "avenue",
    "cres": "crescent", "cr": "crescent", "cct": "circuit", "pl": "place", "dr": "drive",
    "drv": "drive", "ct": "court", "crt": "court", "hwy": "highway", "ln": "lane",
    "tce": "terrace", "terr": "terrace", "pde": "parade", "blvd": "boulevard", "sq": "square",
    "cl": "close", "gr": "grove", "esp": "esplanade", "pkwy": "parkway", "wy": "way",
}  # fmt: skip
OTHER_WORDS = {
    "apt": "unit", "apmnt": "unit", "apartment": "unit", "flat": "unit", "u": "unit",
    "bldg": "building", "fl": "floor", "flr": "floor", "lvl": "level", "mt": "mount",
    "nth": "north", "sth": "south", "po": "po", "rm": "room",
}  # fmt: skip
STATE_ALIASES = {
    "new south wales": "nsw", "victoria": "vic", "queensland": "qld", "tasmania": "tas",
    "western australia": "wa", "south australia": "sa", "northern territory": "nt",
    "australian capital territory": "act",
}  # fmt: skip
_CN_REGION_SUFFIX = re.compile(r"(壮族自治区|回族自治区|维吾尔自治区|特别行政区|自治区|省|市)$")
_HAN = re.compile(r"[\u3400-\u9fff]")
_PUNCT = re.compile(r"[^\w\s]+")
CLOSE, SIMILAR = 0.92, 0.80


@dataclass(frozen=True, slots=True)
class NormalizedAddress:
    """Address parts in comparison form; empty string means absent."""

    street_number: str = ""
    street: str = ""
    line2: str = ""
    locality: str = ""
    postcode: str = ""
    state: str = ""


def normalize_text(text: str | None) -> str:
    """Case-fold, strip punctuation and expand abbreviations; Han text loses its spaces."""
    return _normalize_text(text) if text else ""


@lru_cache(maxsize=65536)
def _normalize_text(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    if _HAN.search(folded):
        return "".join(_PUNCT.sub("", folded).split())
    words = _PUNCT.sub(" ", folded).replace("_", " ").split()
    out = []
    for i, word in enumerate(words):
        if word == "st" and i == 0 and len(words) > 1:
            out.append("saint")  # "St James" is a saint; "Smith St" a street
        else:
            out.append(STREET_TYPES.get(word) or OTHER_WORDS.get(word) or word)
    return " ".join(out)


def normalize_street_number(text: str | None) -> str:
    """'No. 12', '12号' and ' 12 ' all become '12'."""
    if not text:
        return ""
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = folded.replace("号", "").replace("no.", "").replace("#", "")
    return "".join(folded.split())


def normalize_postcode(text: str | None) -> str:
    """Upper case without spaces: 'sw1a 1aa' → 'SW1A1AA'."""
    return "".join(unicodedata.normalize("NFKC", text).upper().split()) if text else ""


def normalize_state(text: str | None) -> str:
    """Canonical state/province: 'New South Wales' → 'nsw', '广东省' → '广东'."""
    if not text:
        return ""
    folded = unicodedata.normalize("NFKC", text).casefold().strip()
    if _HAN.search(folded):
        return _CN_REGION_SUFFIX.sub("", "".join(folded.split()))
    words = " ".join(_PUNCT.sub(" ", folded).split())
    return STATE_ALIASES.get(words, words)


def normalize_address(address: Address | None) -> NormalizedAddress:
    """Every part of an address in comparison form."""
    if address is None:
        return NormalizedAddress()
    return NormalizedAddress(
        street_number=normalize_street_number(address.street_number),
        street=normalize_text(address.line1),
        line2=normalize_text(address.line2),
        locality=normalize_text(address.locality),
        postcode=normalize_postcode(address.postcode),
        state=normalize_state(address.state),
    )


def text_level(a: str, b: str) -> str:
    """exact / close / similar / different for street lines (Jaro-Winkler)."""
    if a == b:
        return "exact"
    sim = JaroWinkler.similarity(a, b)
    if sim >= CLOSE:
        return "close"
    return "similar" if sim >= SIMILAR else "different"


def locality_level(a: str, b: str) -> str:
    """exact / close / different for localities (suburb, city, district)."""
    if a == b:
        return "exact"
    return "close" if JaroWinkler.similarity(a, b) >= 0.88 else "different"


def code_level(a: str, b: str) -> str:
    """exact / typo (one edit or adjacent swap) / different for postcodes and house numbers."""
    if a == b:
        return "exact"
    return "typo" if OSA.distance(a, b, score_cutoff=1) <= 1 else "different"


_RANK = {"exact": 3, "close": 2, "similar": 1, "different": 0}


def compare_lines(a: NormalizedAddress, b: NormalizedAddress) -> tuple[str | None, str | None]:
    """Levels of (line1, line2); lines swapped between systems compare crosswise."""
    direct = (_both(a.street, b.street), _both(a.line2, b.line2))
    if not (a.street and a.line2 and b.street and b.line2):
        return direct
    crossed = (text_level(a.street, b.line2), text_level(a.line2, b.street))
    return crossed if _rank(crossed) > _rank(direct) else direct


def _both(a: str, b: str) -> str | None:
    return text_level(a, b) if a and b else None


def _rank(levels: tuple[str | None, str | None]) -> int:
    return sum(_RANK[level] for level in levels if level)


AREA_LEVELS = (
    "postcode_locality",
    "postcode",
    "postcode_typo_locality",
    "locality",
    "postcode_typo",
    "different",
)


def area_level(a: NormalizedAddress, b: NormalizedAddress) -> str | None:
    """Postcode and locality as one comparison.

    The two are strongly dependent (a postcode lies in one locality), so summing separate
    weights would count the same evidence twice; one joint field lets EM learn how much the
    pair of agreements is worth.
    """
    postcode = code_level(a.postcode, b.postcode) if a.postcode and b.postcode else None
    locality = locality_level(a.locality, b.locality) if a.locality and b.locality else None
    if postcode is None and locality is None:
        return None
    same_place = locality in ("exact", "close")
    if postcode == "exact":
        return "postcode_locality" if same_place else "postcode"
    if postcode == "typo":
        return "postcode_typo_locality" if same_place else "postcode_typo"
    return "locality" if same_place else "different"
