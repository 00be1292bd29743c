"""Salesforce ID normalisation and cross-reference lookups."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opsconsole.engine import identity
from opsconsole.engine.identity import CRM, ERP, MalformedSalesforceId, to_18
from opsconsole.store.db import create_store_engine, sqlite_url, transaction

ALPHANUMERIC = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


@pytest.mark.parametrize(
    ("id15", "id18"),
    [
        ("0015g00000QxYzA", "0015g00000QxYzAAAV"),
        ("0015g00000Qxyza", "0015g00000QxyzaAAB"),
        ("001000000000000", "001000000000000AAA"),
        ("ABCDEABCDEABCDE", "ABCDEABCDEABCDE555"),
    ],
)
def test_15_character_id_gets_its_suffix(id15: str, id18: str) -> None:
    assert to_18(id15) == id18


def test_ids_differing_in_case_stay_distinct() -> None:
    assert to_18("0015g00000QxYzA") != to_18("0015g00000Qxyza")


def test_lower_cased_18_character_id_gets_its_case_back() -> None:
    assert to_18("0015g00000qxyzaaav") == "0015g00000QxYzAAAV"


def test_upper_cased_18_character_id_gets_its_case_back() -> None:
    assert to_18("0015G00000QXYZAAAV") == "0015g00000QxYzAAAV"


def test_canonical_18_character_id_is_unchanged() -> None:
    assert to_18("0015g00000QxyzaAAB") == "0015g00000QxyzaAAB"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0015g00000QxYz", "has 14 characters"),
        ("0015g00000QxYzA-AV", "characters other than"),
        ("", "characters other than"),
        ("0015g00000QxYzAAAB", "does not match its case-checksum"),
        ("0015g00000qxyzaa9v", "suffix"),
        ("0015g00000qxyzaa5a", "marks character"),
    ],
)
def test_malformed_id_is_rejected_with_reason(value: str, message: str) -> None:
    with pytest.raises(MalformedSalesforceId, match=message):
        to_18(value)


def test_key_prefix_is_checked_when_given() -> None:
    with pytest.raises(MalformedSalesforceId, match="expected '801'"):
        to_18("0015g00000QxYzA", prefix="801")


def test_is_valid_18_needs_exact_case() -> None:
    assert identity.is_valid_18("0015g00000QxYzAAAV")
    assert not identity.is_valid_18("0015g00000qxyzaaav")
    assert not identity.is_valid_18("0015g00000QxYzA")


@given(st.text(alphabet=ALPHANUMERIC, min_size=15, max_size=15))
def test_any_15_character_id_round_trips_through_case_loss(id15: str) -> None:
    id18 = to_18(id15)

    assert id18[:15] == id15
    assert identity.is_valid_18(id18)
    assert to_18(id18) == id18
    assert to_18(id18.lower()) == id18
    assert to_18(id18.upper()) == id18


def test_xref_keeps_case_distinct_ids_apart(tmp_path: Path) -> None:
    engine = create_store_engine(sqlite_url(tmp_path / "xref.db"))
    with transaction(engine) as session:
        nordwerk = identity.resolve_or_create(session, "customer", CRM, "0015g00000QxYzA")
        sudhafen = identity.resolve_or_create(session, "customer", CRM, "0015g00000Qxyza")

    with transaction(engine) as session:
        again = identity.resolve(session, "customer", CRM, "0015g00000QxYzAAAV")
        lowered = identity.resolve(session, "customer", CRM, "0015g00000qxyzaaav")

    assert nordwerk != sudhafen
    assert again == nordwerk
    assert lowered == nordwerk


def test_link_keeps_the_first_canonical_id(tmp_path: Path) -> None:
    engine = create_store_engine(sqlite_url(tmp_path / "xref.db"))
    with transaction(engine) as session:
        first = identity.link(session, "customer", ERP, "1001", "canonical-a")
        second = identity.link(session, "customer", ERP, "1001", "canonical-b")

    assert first == "canonical-a"
    assert second == "canonical-a"
