"""Errors raised by schema-change review.

OpsconsoleError
└── ReviewError                 a review input or record is invalid
    ├── DocumentReadError       a contract file or git revision cannot be read or parsed
    └── ReviewRecordError       a review record is missing, malformed or cannot change
"""

from __future__ import annotations

from opsconsole.errors import OpsconsoleError


class ReviewError(OpsconsoleError):
    """A review input or record is invalid."""


class DocumentReadError(ReviewError):
    """A contract file or git revision cannot be read or parsed."""


class ReviewRecordError(ReviewError):
    """A review record is missing, malformed or cannot take the requested change."""
