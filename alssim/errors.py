"""Error types raised by alssim.

Every problem with user input is a :class:`ConfigError` (a ``ValueError``), whose message names the
file, the full key path, the value received and what is allowed. Problems with saved results are
:class:`ResultFormatError`.
"""

from __future__ import annotations

__all__ = ["AlssimError", "ConfigError", "ResultFormatError"]


class AlssimError(Exception):
    """Base class of every error alssim raises on purpose."""


class ConfigError(AlssimError, ValueError):
    """A configuration (file, override or sweep specification) is invalid.

    Parameters
    ----------
    message : str
        What is wrong and what is allowed.
    key : str, optional
        Full dotted key path, e.g. ``"spread.contralateral_rate"``.
    source : str, optional
        File (or ``"overrides"``) the offending value came from.
    """

    def __init__(self, message: str, *, key: str | None = None, source: str | None = None):
        self.key = key
        self.source = source
        self.detail = message
        parts = []
        if source:
            parts.append(str(source))
        if key:
            parts.append(f"'{key}'")
        prefix = ": ".join(parts)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class ResultFormatError(AlssimError, ValueError):
    """A saved result is missing, truncated, edited or not an alssim result."""
