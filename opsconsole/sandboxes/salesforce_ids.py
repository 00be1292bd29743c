"""Salesforce record IDs: the 15-character case-sensitive form and the 18-character form.

The last three characters of an 18-character ID encode, five characters at a time, which
letters of the first fifteen are upper case. That makes the 18-character form safe for
case-insensitive tools, and it lets a lower-cased 18-character ID be restored exactly.
"""

from __future__ import annotations

import hashlib
import string

from opsconsole.errors import IdentityError

_SUFFIX_ALPHABET = string.ascii_uppercase + "012345"
_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
_ID_CHARS = frozenset(_BASE62)


class MalformedIdError(IdentityError):
    """A value is not a 15- or 18-character Salesforce ID."""


def checksum_suffix(id15: str) -> str:
    """Return the three-character case-checksum suffix of a 15-character ID."""
    suffix = ""
    for start in (0, 5, 10):
        bits = 0
        for position, char in enumerate(id15[start : start + 5]):
            if "A" <= char <= "Z":
                bits |= 1 << position
        suffix += _SUFFIX_ALPHABET[bits]
    return suffix


def to_18(value: str) -> str:
    """Return the canonical 18-character form of a 15- or 18-character ID.

    An 18-character ID is matched case-insensitively: the letter case of its first fifteen
    characters is restored from its suffix, as Salesforce does.

    Raises:
        MalformedIdError: the value has another length, other characters, or a suffix
            that cannot belong to its first fifteen characters.
    """
    if len(value) == 15 and set(value) <= _ID_CHARS:
        return value + checksum_suffix(value)
    if len(value) == 18 and set(value) <= _ID_CHARS:
        return _restore_case(value)
    raise MalformedIdError(f"'{value}' is not a 15- or 18-character Salesforce ID.")


def _restore_case(id18: str) -> str:
    suffix = id18[15:].upper()
    restored = []
    for chunk, code in enumerate(suffix):
        bits = _SUFFIX_ALPHABET.find(code)
        if bits < 0:
            raise MalformedIdError(f"'{id18}' has an invalid checksum suffix '{id18[15:]}'.")
        for position, char in enumerate(id18[chunk * 5 : chunk * 5 + 5]):
            upper = bool(bits & (1 << position))
            if upper and not char.isalpha():
                raise MalformedIdError(f"'{id18}' does not match its checksum suffix.")
            restored.append(char.upper() if upper else char.lower())
    return "".join(restored) + suffix


def is_valid(value: str) -> bool:
    """Return whether `value` is a 15- or 18-character ID."""
    try:
        to_18(value)
    except MalformedIdError:
        return False
    return True


def base62(number: int, width: int) -> str:
    """Encode a non-negative integer in `width` base-62 digits."""
    digits = []
    for _ in range(width):
        number, remainder = divmod(number, 62)
        digits.append(_BASE62[remainder])
    return "".join(reversed(digits))


def make_id(key_prefix: str, number: int, pod: str = "5g") -> str:
    """Return the 18-character ID for record `number` of the object with `key_prefix`."""
    id15 = f"{key_prefix}{pod}0{base62(number, 9)}"
    return id15 + checksum_suffix(id15)


def stable_id(key_prefix: str, name: str) -> str:
    """Return an 18-character ID derived from `name`, the same on every run."""
    number = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big")
    return make_id(key_prefix, number % 62**9)
