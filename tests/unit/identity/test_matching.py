"""Scoring and decisions: typos link, namesakes do not, strong identifiers rule."""

from __future__ import annotations

import json

import pytest

from services.identity.domain import (
    Candidate,
    Decision,
    InvalidModel,
    MatchModel,
    PreparedRecord,
    default_model,
    resolve,
)
from tests.unit.identity.builders import ID_CARD, OTHER_ID_CARD, make_prepared

MODEL = default_model()
CN_ADDRESS = {"line1": "建国路88号", "locality": "朝阳区", "postcode": "100022", "state": "北京市"}


def _resolve(incoming: PreparedRecord, *stored: tuple[str, PreparedRecord]) -> object:
    return resolve(incoming, [Candidate(cid, rec) for cid, rec in stored], MODEL)


def test_typo_in_the_name_still_links() -> None:
    stored = make_prepared(identifiers=[("ssn", "1234567")])
    incoming = make_prepared(given_name="jonh", address={"postcode": "4011"})
    result = resolve(incoming, [Candidate("c1", stored)], MODEL)
    assert (result.decision, result.customer_id, result.reason) == (Decision.LINK, "c1", "score")
    levels = {e.field: e.level for e in result.evidence}
    assert levels["given_name"] == "close"
    assert levels["family_name"] == "exact"


def test_pinyin_record_links_to_han_record() -> None:
    stored = make_prepared(given_name=None, family_name=None, full_name="张伟", address=CN_ADDRESS)
    incoming = make_prepared(given_name="Wei", family_name="ZHANG", address=CN_ADDRESS)
    assert resolve(incoming, [Candidate("c1", stored)], MODEL).decision is Decision.LINK


def test_namesake_with_another_birth_date_is_not_linked() -> None:
    stored = make_prepared(full_name="张伟", given_name=None, family_name=None, address=CN_ADDRESS)
    elsewhere = {"line1": "人民路1号", "locality": "天河区", "postcode": "510000", "state": "广东"}
    far = make_prepared(
        full_name="张伟",
        given_name=None,
        family_name=None,
        birth_date="1975-09-01",
        address=elsewhere,
    )
    near = make_prepared(
        full_name="张伟",
        given_name=None,
        family_name=None,
        birth_date="1975-09-01",
        address={**CN_ADDRESS, "line1": "光华路9号"},
    )
    assert resolve(far, [Candidate("c1", stored)], MODEL).decision is Decision.NEW
    # Same common name in the same district: at most a clerk's question, never a link.
    assert resolve(near, [Candidate("c1", stored)], MODEL).decision is not Decision.LINK


def test_conflicting_id_cards_block_a_link_whatever_the_score() -> None:
    stored = make_prepared(identifiers=[("id_card", ID_CARD), ("ssn", "1234567")])
    twin = make_prepared(identifiers=[("id_card", OTHER_ID_CARD), ("ssn", "1234567")])
    unblocked = make_prepared(identifiers=[("ssn", "1234567")])
    assert resolve(unblocked, [Candidate("c1", stored)], MODEL).decision is Decision.LINK
    result = resolve(twin, [Candidate("c1", stored)], MODEL)
    assert (result.decision, result.customer_id, result.reason) == (
        Decision.NEW,
        None,
        "conflict:id_card",
    )


def test_conflict_with_one_record_blocks_the_whole_customer() -> None:
    with_card = make_prepared(identifiers=[("id_card", ID_CARD)])
    without = make_prepared()
    twin = make_prepared(identifiers=[("id_card", OTHER_ID_CARD)])
    candidates = [Candidate("c1", with_card), Candidate("c1", without)]
    assert resolve(twin, candidates, MODEL).decision is Decision.NEW


def test_shared_strong_identifier_links_despite_other_differences() -> None:
    stored = make_prepared(identifiers=[("id_card", ID_CARD)])
    married = make_prepared(family_name="jones", address=None, identifiers=[("id_card", ID_CARD)])
    result = resolve(married, [Candidate("c1", stored)], MODEL)
    assert (result.decision, result.reason) == (Decision.LINK, "identifier:id_card")


def test_passport_conflict_demotes_a_link_to_review() -> None:
    stored = make_prepared(identifiers=[("passport", "E12345678"), ("ssn", "1234567")])
    renewed = make_prepared(identifiers=[("passport", "EA7654321"), ("ssn", "1234567")])
    result = resolve(renewed, [Candidate("c1", stored)], MODEL)
    assert (result.decision, result.customer_id, result.reason) == (
        Decision.REVIEW,
        "c1",
        "conflict:passport",
    )


def test_identifier_held_by_two_customers_goes_to_review() -> None:
    incoming = make_prepared(identifiers=[("cif", "CIF001")])
    a = make_prepared(identifiers=[("cif", "CIF001")])
    b = make_prepared(given_name="jane", identifiers=[("cif", "CIF001")])
    result = resolve(incoming, [Candidate("a", a), Candidate("b", b)], MODEL)
    assert (result.decision, result.customer_id) == (Decision.REVIEW, "a")
    assert result.reason == "identifier_ambiguous:cif"
    assert result.runner_up is not None and result.runner_up[0] == "b"


def test_customer_scores_by_its_best_record() -> None:
    old_home = make_prepared(birth_date=None, address={"line1": "1 old road", "postcode": "2000"})
    new_home = make_prepared(birth_date=None)
    incoming = make_prepared(birth_date=None)
    result = resolve(incoming, [Candidate("c1", old_home), Candidate("c1", new_home)], MODEL)
    assert result.decision is Decision.LINK
    assert result.matched_record == new_home.record.key


def test_best_customer_wins_and_runner_up_is_reported() -> None:
    incoming = make_prepared(identifiers=[("ssn", "1234567")])
    exact = make_prepared(identifiers=[("ssn", "1234567")])
    partial = make_prepared(identifiers=[("ssn", "7654321")])
    result = resolve(incoming, [Candidate("p", partial), Candidate("e", exact)], MODEL)
    assert result.customer_id == "e"
    assert result.runner_up is not None and result.runner_up[0] == "p"


def test_no_candidates_and_other_kinds_make_a_new_customer() -> None:
    person = make_prepared()
    org = make_prepared(kind="organization", full_name="john smith")
    assert resolve(person, [], MODEL).reason == "no_candidate"
    assert resolve(person, [Candidate("o", org)], MODEL).decision is Decision.NEW


def test_organizations_match_despite_legal_form() -> None:
    a = make_prepared(
        kind="organization",
        full_name="Acme Trading Co., Ltd.",
        identifiers=[("phone", "13812345678")],
    )
    b = make_prepared(
        kind="organization",
        full_name="ACME TRADING LIMITED",
        identifiers=[("phone", "+86 138 1234 5678")],
    )
    assert resolve(b, [Candidate("c1", a)], MODEL).decision is Decision.LINK


def test_evidence_weights_add_up_to_the_score() -> None:
    stored = make_prepared(identifiers=[("ssn", "1234567")])
    result = resolve(make_prepared(given_name="jon"), [Candidate("c1", stored)], MODEL)
    assert result.score == pytest.approx(sum(e.weight for e in result.evidence), abs=0.01)
    assert result.probability is not None and 0.0 < result.probability <= 1.0


def test_thresholds_decide_link_review_new() -> None:
    stored = make_prepared()
    incoming = make_prepared(given_name="jonh")
    score = resolve(incoming, [Candidate("c", stored)], MODEL).score
    assert score is not None
    cases = [(score - 1, score - 2, Decision.LINK), (score + 1, score - 1, Decision.REVIEW)]
    cases.append((score + 2, score + 1, Decision.NEW))
    for link, review, expected in cases:
        model = MODEL.with_thresholds(link=link, review=review)
        assert resolve(incoming, [Candidate("c", stored)], model).decision is expected
    with pytest.raises(InvalidModel):
        MODEL.with_thresholds(link=1, review=2)


def test_model_survives_json_round_trip() -> None:
    restored = MatchModel.from_dict(json.loads(json.dumps(MODEL.to_dict())))
    assert restored.weights == MODEL.weights
    assert restored.term_frequencies == MODEL.term_frequencies


def test_stored_model_with_other_levels_is_refused() -> None:
    data = MODEL.to_dict()
    data["fields"]["gender"]["levels"] = ["same", "other"]
    with pytest.raises(InvalidModel):
        MatchModel.from_dict(data)
    data = MODEL.to_dict()
    data["fields"]["gender"]["m"] = [0.5, 0.6]
    with pytest.raises(InvalidModel):
        MatchModel.from_dict(data)


def test_common_surname_weighs_less_than_a_rare_one() -> None:
    zhang = make_prepared(given_name="伟", family_name="张", address=None)
    rare = make_prepared(given_name="伟", family_name="诸葛", address=None)
    z = resolve(zhang, [Candidate("c", make_prepared(given_name="伟", family_name="张"))], MODEL)
    r = resolve(rare, [Candidate("c", make_prepared(given_name="伟", family_name="诸葛"))], MODEL)
    assert z.score is not None and r.score is not None and z.score < r.score


def test_household_member_at_the_same_address_is_not_linked() -> None:
    spouse = make_prepared(given_name="mary", family_name="jones", birth_date="1982-06-30")
    result = resolve(spouse, [Candidate("c1", make_prepared())], MODEL)
    assert result.decision is not Decision.LINK
    assert "name_order" not in {e.field for e in result.evidence}  # john~jones is no swap
