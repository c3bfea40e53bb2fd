"""The Fellegi–Sunter match model: m and u per field level, term frequencies, thresholds.

``score`` is the sum over fields of log2(m/u) (the Bayes factor in bits, without the prior), so
the thresholds keep their meaning when a refit moves the prior. The prior is the share of
matches among candidate pairs and only turns a score into a probability.

Cold start: :data:`DEFAULT_PRIORS` are hand-set from field cardinalities and typical error rates
(a birth date agrees by chance about once in 25,000 pairs; a name is mistyped in ~10% of
duplicates), so the service links sensibly before any data; fitting replaces them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from services.identity.domain.comparison import FIELD_INDEX, FIELDS
from services.identity.domain.errors import InvalidModel

MODEL_FORMAT = 1
Probabilities = tuple[float, ...]

DEFAULT_PRIORS: dict[str, tuple[Probabilities, Probabilities]] = {
    "given_name": ((0.85, 0.06, 0.03, 0.06), (0.006, 0.004, 0.02, 0.97)),
    "family_name": ((0.85, 0.07, 0.03, 0.05), (0.002, 0.003, 0.015, 0.98)),
    "org_name": ((0.80, 0.12, 0.05, 0.03), (0.0005, 0.001, 0.01, 0.9885)),
    "birth_date": ((0.92, 0.04, 0.01, 0.01, 0.02), (4e-5, 1e-3, 4e-5, 0.04, 0.959)),
    "gender": ((0.98, 0.02), (0.5, 0.5)),
    "street_number": ((0.85, 0.05, 0.10), (0.02, 0.05, 0.93)),
    "street": ((0.65, 0.25, 0.04, 0.06), (0.0005, 0.001, 0.02, 0.9785)),
    "line2": ((0.55, 0.30, 0.05, 0.10), (0.001, 0.002, 0.03, 0.967)),
    "area": ((0.70, 0.10, 0.08, 0.07, 0.02, 0.03), (0.002, 0.0005, 0.0005, 0.008, 0.01, 0.979)),
    "state": ((0.95, 0.05), (0.2, 0.8)),
    "weak_id": ((0.90, 0.06, 0.04), (1e-5, 1e-4, 0.99989)),
    "phone": ((0.70, 0.30), (1e-4, 0.9999)),
    "email": ((0.60, 0.40), (1e-5, 0.99999)),
    "bank_card": ((0.50, 0.50), (1e-6, 0.999999)),
    "digital_id": ((0.50, 0.50), (1e-4, 0.9999)),
}
# Shares of the commonest mainland surnames (public household-register statistics, rounded;
# pinyin merges homophones such as 张/章). Without them a cold-start model would weigh a shared
# "Zhang" like a shared rare surname; the first fit replaces them with the bank's own counts.
SEED_SURNAME_SHARES = {
    "wang": 0.071, "li": 0.070, "zhang": 0.067, "liu": 0.054, "chen": 0.045, "yang": 0.032,
    "huang": 0.023, "zhao": 0.022, "wu": 0.020, "zhou": 0.019, "xu": 0.014, "sun": 0.013,
    "ma": 0.012, "zhu": 0.012, "hu": 0.011, "guo": 0.011, "he": 0.010, "lin": 0.009,
    "gao": 0.009, "luo": 0.009,
}  # fmt: skip
DEFAULT_PRIOR = 0.01
DEFAULT_LINK_THRESHOLD = 16.0  # a Bayes factor of 65,000:1: above 98% even at 1:1,000 prior odds
DEFAULT_REVIEW_THRESHOLD = 8.0


@dataclass(frozen=True, slots=True)
class FieldParams:
    """m = P(level | match), u = P(level | non-match), one entry per level of the field."""

    m: Probabilities
    u: Probabilities


@dataclass(frozen=True, slots=True)
class MatchModel:
    """Everything needed to score a pair; immutable, stored by the service as a dict."""

    params: Mapping[str, FieldParams]
    prior: float = DEFAULT_PRIOR
    link_threshold: float = DEFAULT_LINK_THRESHOLD
    review_threshold: float = DEFAULT_REVIEW_THRESHOLD
    term_frequencies: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    meta: Mapping[str, Any] = field(default_factory=dict)
    weights: tuple[tuple[float, ...], ...] = field(init=False, repr=False, compare=False)
    _tf_floor: dict[int, float] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for spec in FIELDS:
            p = self.params.get(spec.name)
            if p is None or len(p.m) != len(spec.levels) or len(p.u) != len(spec.levels):
                raise InvalidModel(f"field {spec.name}: expected levels {spec.levels}")
        weights = tuple(
            tuple(math.log2(m / u) for m, u in zip(p.m, p.u, strict=True))
            for p in (self.params[s.name] for s in FIELDS)
        )
        object.__setattr__(self, "weights", weights)
        # A value missing from a table is rarer than any value in it, and (when the table only
        # lists a few common values) no commoner than the field's average agreement rate.
        floors = {
            FIELD_INDEX[f]: min(min(t.values()), self.params[f].u[0])
            for f, t in self.term_frequencies.items()
            if t and f in FIELD_INDEX and FIELDS[FIELD_INDEX[f]].term_frequency
        }
        object.__setattr__(self, "_tf_floor", floors)

    def tf_weight(self, field_index: int, value: str) -> float | None:
        """log2(m_exact / frequency of value), or None when no table covers the field."""
        floor = self._tf_floor.get(field_index)
        if floor is None:
            return None
        table = self.term_frequencies[FIELDS[field_index].name]
        m_exact = self.params[FIELDS[field_index].name].m[0]
        return math.log2(m_exact / table.get(value, floor))

    def with_thresholds(self, *, link: float, review: float) -> MatchModel:
        """A copy with other decision thresholds (review must not exceed link)."""
        if review > link:
            raise InvalidModel("the review threshold must not exceed the link threshold")
        return replace(self, link_threshold=link, review_threshold=review)

    def probability(self, score: float) -> float:
        """Posterior match probability of a pair with this score, given the prior."""
        logit = score + math.log2(self.prior / (1.0 - self.prior))
        return 1.0 / (1.0 + 2.0 ** (-logit)) if logit > -1000 else 0.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form, read back by :meth:`from_dict`."""
        return {
            "format": MODEL_FORMAT,
            "fields": {
                s.name: {
                    "levels": list(s.levels),
                    "m": list(self.params[s.name].m),
                    "u": list(self.params[s.name].u),
                }
                for s in FIELDS
            },
            "prior": self.prior,
            "link_threshold": self.link_threshold,
            "review_threshold": self.review_threshold,
            "term_frequencies": {f: dict(t) for f, t in self.term_frequencies.items()},
            "meta": dict(self.meta),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MatchModel:
        """Rebuild a stored model; fields added since it was stored start from the defaults."""
        if data.get("format") != MODEL_FORMAT:
            raise InvalidModel(f"unsupported model format {data.get('format')!r}")
        params = dict(default_model().params)
        for name, spec in data["fields"].items():
            if name not in FIELD_INDEX:
                continue  # a field since removed from the comparison
            if tuple(spec["levels"]) != FIELDS[FIELD_INDEX[name]].levels:
                raise InvalidModel(f"field {name}: stored levels differ from the code's")
            params[name] = FieldParams(m=_probabilities(spec["m"]), u=_probabilities(spec["u"]))
        return cls(
            params=params,
            prior=float(data["prior"]),
            link_threshold=float(data["link_threshold"]),
            review_threshold=float(data["review_threshold"]),
            term_frequencies={f: dict(t) for f, t in data.get("term_frequencies", {}).items()},
            meta=dict(data.get("meta", {})),
        )


def _probabilities(values: Any) -> Probabilities:
    probs = tuple(float(v) for v in values)
    if any(not 0.0 < p <= 1.0 for p in probs) or abs(sum(probs) - 1.0) > 1e-6:
        raise InvalidModel("probabilities must be positive and sum to 1")
    return probs


def default_model() -> MatchModel:
    """The cold-start model: hand-set priors, common Chinese surnames down-weighted."""
    params = {name: FieldParams(m=_norm(m), u=_norm(u)) for name, (m, u) in DEFAULT_PRIORS.items()}
    return MatchModel(
        params=params,
        term_frequencies={"family_name": dict(SEED_SURNAME_SHARES)},
        meta={"source": "default_priors"},
    )


def _norm(values: Probabilities) -> Probabilities:
    total = sum(values)
    return tuple(v / total for v in values)
