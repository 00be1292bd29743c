"""Identity: Salesforce ID normalisation and the cross-reference between systems.

A Salesforce record ID has a case-sensitive 15-character form and an 18-character form whose
last three characters encode the letter case of the first fifteen: each suffix character
covers five characters, bit i set when character i of that block is an upper-case letter.
The engine stores and compares only the 18-character form, byte for byte.
"""

from __future__ import annotations

import uuid

from sqlmodel import Session, select

from opsconsole.errors import IdentityError
from opsconsole.store.atomic import insert_if_absent
from opsconsole.store.tables import CrossReference

_SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_ALPHANUMERIC = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")

CRM = "crm"
ERP = "erp"


class MalformedSalesforceId(IdentityError):
    """A value is not a valid 15- or 18-character Salesforce ID."""


def salesforce_suffix(id15: str) -> str:
    """Compute the 3-character case-checksum suffix of a 15-character Salesforce ID."""
    suffix = ""
    for start in range(0, 15, 5):
        block = id15[start : start + 5]
        bits = sum(1 << i for i, char in enumerate(block) if "A" <= char <= "Z")
        suffix += _SUFFIX_ALPHABET[bits]
    return suffix


def to_18(value: str, *, prefix: str | None = None) -> str:
    """Return the 18-character form of a Salesforce ID given in 15 or 18 characters.

    An 18-character ID whose letters were all lower- or all upper-cased gets its case back
    from the suffix. An ID of another length, with other characters, with a suffix that does
    not match, or (when `prefix` is given) with another key prefix raises
    `MalformedSalesforceId`.
    """
    _check_characters(value)
    if len(value) == 15:
        normal = value + salesforce_suffix(value)
    elif len(value) == 18:
        normal = _restore_case(value)
    else:
        raise MalformedSalesforceId(
            f"Salesforce ID {value!r} has {len(value)} characters, "
            "but a valid ID has 15 or 18 letters and digits."
        )
    if prefix is not None and normal[:3] != prefix:
        raise MalformedSalesforceId(
            f"Salesforce ID {value!r} has key prefix {normal[:3]!r}, expected {prefix!r}."
        )
    return normal


def is_valid_18(value: str) -> bool:
    """Tell whether `value` is an 18-character Salesforce ID in its exact canonical case."""
    if len(value) != 18 or not set(value) <= _ALPHANUMERIC:
        return False
    return salesforce_suffix(value[:15]) == value[15:]


def _check_characters(value: str) -> None:
    if not value or not set(value) <= _ALPHANUMERIC:
        raise MalformedSalesforceId(
            f"Salesforce ID {value!r} contains characters other than ASCII letters and digits."
        )


def _restore_case(value: str) -> str:
    suffix = value[15:].upper()
    if not set(suffix) <= set(_SUFFIX_ALPHABET):
        raise MalformedSalesforceId(
            f"Salesforce ID {value!r} has suffix {value[15:]!r}, "
            "but a suffix contains only the letters A-Z and the digits 0-5."
        )
    body = value[:15]
    if salesforce_suffix(body) == suffix:
        return body + suffix
    if body not in (body.lower(), body.upper()):
        # Mixed case that disagrees with the suffix: no way to tell which part is wrong.
        raise MalformedSalesforceId(
            f"Salesforce ID {value!r} does not match its case-checksum suffix {suffix!r}."
        )
    restored = _apply_case(body, suffix, value)
    return restored + suffix


def _apply_case(body: str, suffix: str, original: str) -> str:
    chars = []
    for block_index, suffix_char in enumerate(suffix):
        bits = _SUFFIX_ALPHABET.index(suffix_char)
        for offset in range(5):
            char = body[block_index * 5 + offset]
            upper = bool(bits & (1 << offset))
            if upper and not char.isalpha():
                raise MalformedSalesforceId(
                    f"Salesforce ID {original!r}: its suffix {suffix!r} marks character "
                    f"{block_index * 5 + offset + 1} ({char!r}) as an upper-case letter."
                )
            chars.append(char.upper() if upper else char.lower())
    return "".join(chars)


def normalise_system_id(system: str, system_id: str) -> str:
    """Return the form of `system_id` that the cross-reference stores for `system`."""
    if system == CRM:
        return to_18(system_id)
    return system_id


def resolve(session: Session, object_type: str, system: str, system_id: str) -> str | None:
    """Return the canonical ID linked to a system's ID of an object, or None."""
    normal = normalise_system_id(system, system_id)
    statement = select(CrossReference.canonical_id).where(
        CrossReference.system == system,
        CrossReference.object_type == object_type,
        CrossReference.system_id == normal,
    )
    return session.exec(statement).first()


def system_id_for(session: Session, object_type: str, canonical_id: str, system: str) -> str | None:
    """Return a system's ID of the object with `canonical_id`, or None when not linked yet."""
    statement = select(CrossReference.system_id).where(
        CrossReference.system == system,
        CrossReference.object_type == object_type,
        CrossReference.canonical_id == canonical_id,
    )
    return session.exec(statement).first()


def link(session: Session, object_type: str, system: str, system_id: str, canonical_id: str) -> str:
    """Link a system's ID to `canonical_id` unless it is already linked.

    Returns the canonical ID the system ID is linked to afterwards: the existing one when
    another transaction linked it first.
    """
    normal = normalise_system_id(system, system_id)
    row = CrossReference(
        object_type=object_type, system=system, system_id=normal, canonical_id=canonical_id
    )
    insert_if_absent(session, row, ("system", "object_type", "system_id"))
    linked = resolve(session, object_type, system, normal)
    if linked is None:
        raise IdentityError(f"Cross-reference for {system} {object_type} {normal} vanished.")
    return linked


def resolve_or_create(session: Session, object_type: str, system: str, system_id: str) -> str:
    """Return the canonical ID of a system's object, linking a new one when there is none."""
    existing = resolve(session, object_type, system, system_id)
    if existing is not None:
        return existing
    return link(session, object_type, system, system_id, str(uuid.uuid4()))
