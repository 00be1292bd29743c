"""opsconsole: an integration operations console and contract-testing toolkit."""

from __future__ import annotations

__version__ = "0.1.0"
