from __future__ import annotations

import pytest

from opsconsole.sandboxes import salesforce_ids
from opsconsole.sandboxes.salesforce_ids import MalformedIdError


@pytest.mark.parametrize(
    ("id15", "id18"),
    [
        ("0015g00000QxYzA", "0015g00000QxYzAAAV"),
        ("0015g00000Qxyza", "0015g00000QxyzaAAB"),
        ("001000000000000", "001000000000000AAA"),
        ("ABCDEABCDEABCDE", "ABCDEABCDEABCDE555"),
    ],
)
def test_to_18_appends_case_checksum(id15: str, id18: str) -> None:
    assert salesforce_ids.to_18(id15) == id18


def test_ids_differing_in_case_stay_distinct() -> None:
    first = salesforce_ids.to_18("0015g00000QxYzA")
    second = salesforce_ids.to_18("0015g00000Qxyza")

    assert first != second
    assert first.lower() != second.lower()


def test_lower_cased_18_char_id_gets_case_restored() -> None:
    assert salesforce_ids.to_18("0015g00000qxyzaaav") == "0015g00000QxYzAAAV"
    assert salesforce_ids.to_18("0015G00000QXYZAAAB") == "0015g00000QxyzaAAB"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "001",
        "0015g00000QxYzA!",
        "0015g00000QxYzAAA",
        "0015g00000QxYzAAA9",
        "0015g0000011111ZZZ",
    ],
)
def test_to_18_rejects_malformed_ids(value: str) -> None:
    with pytest.raises(MalformedIdError):
        salesforce_ids.to_18(value)


def test_make_id_is_valid_with_prefix() -> None:
    for number in (0, 1, 61, 62**9 - 1, 123_456_789):
        record_id = salesforce_ids.make_id("801", number)
        assert len(record_id) == 18
        assert record_id.startswith("801")
        assert salesforce_ids.to_18(record_id[:15]) == record_id


def test_stable_id_repeats_for_same_name() -> None:
    first = salesforce_ids.stable_id("005", "opsconsole-engine")

    assert first == salesforce_ids.stable_id("005", "opsconsole-engine")
    assert first != salesforce_ids.stable_id("005", "opsconsole-synthetic")
    assert first.startswith("005")
