"""Error types raised by alssim.

Every problem with user input is a :class:`ConfigError` (a ``ValueError``), whose message names the
file, the full key path, the value received and what is allowed. Problems with saved results are
:class:`ResultFormatError`.

Values, key paths and file names in messages go through :func:`show_value` and
:func:`escape_text`: control and bidi characters are escaped (a message is one honest line) and
long values are cut to :data:`MAX_SHOWN_CHARS` characters, with their full length.
"""

from __future__ import annotations

import importlib
import math
from typing import Any

__all__ = [
    "MAX_SHOWN_CHARS",
    "AlssimError",
    "ConfigError",
    "ResultFormatError",
    "check_format_version",
    "escape_text",
    "import_optional",
    "show_value",
]

#: Longest rendering of one value in an error message; a longer one is cut, ends with ``…`` and
#: says its full length.
MAX_SHOWN_CHARS = 80
#: Longest key path or file name in a message (cut like a value beyond this).
_MAX_NAME_CHARS = 400
#: Longest whole :class:`ConfigError` message: a longer one keeps its beginning and its end.
_MAX_MESSAGE_CHARS = 2000


def _escape(text: str) -> str:
    """Escape every character that is not printable (controls, bidi and other format
    characters, line separators, surrogates) as Python does: ``\\x00``, ``\\u202e``."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii")
                   for ch in text)


def escape_text(text: Any, limit: int = _MAX_NAME_CHARS) -> str:
    """``text`` safe to print on one line: unprintable characters escaped, cut to ``limit``.

    For key paths and file names (no quotes are added). Text longer than ``limit`` characters is
    cut and ends with ``…`` and its full length.
    """
    text = str(text)
    if len(text) <= limit:
        return _escape(text)
    return f"{_escape(text[:limit])}… ({len(text):,} characters)"


def show_value(value: Any, limit: int = MAX_SHOWN_CHARS) -> str:
    """A value as an error message shows it: ``repr``-like, escaped, at most ``limit`` characters.

    Strings are quoted with control and bidi characters escaped; a rendering longer than
    ``limit`` characters is cut and ends with ``…`` and the value's full length; integers too
    long to show are given in scientific notation with their number of digits; structures
    nested too deeply for ``repr`` are named as such.

    Examples
    --------
    >>> show_value("a\\x00b\\u202ec")
    "'a\\\\x00b\\\\u202ec'"
    >>> show_value("x" * 5_000_000)[-25:]
    'x… (5,000,000 characters)'
    >>> show_value(10**400)
    '1e+400 (an integer of 401 digits)'
    """
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 256:
        exponent = math.floor(math.log10(abs(value)))
        mantissa = abs(value) / 10 ** (exponent - 15) / 1e15  # exact enough for 4 digits
        sign = "-" if value < 0 else ""
        return f"{sign}{mantissa:.4g}e+{exponent} (an integer of {exponent + 1:,} digits)"
    size = len(value) if isinstance(value, str | bytes | list | tuple | dict) else None
    shown = value
    if isinstance(value, str | bytes) and len(value) > 4 * limit:
        shown = value[: 4 * limit]  # the repr of the head is enough
    try:
        text = _escape(repr(shown))
    except RecursionError:
        return f"a {type(value).__name__} nested too deeply to show"
    except ValueError:  # holds an integer too long for str()
        return f"a {type(value).__name__} holding an integer too long to show"
    if len(text) <= limit and shown is value:
        return text
    if isinstance(value, str | bytes):
        return f"{text[:limit]}… ({size:,} characters)"
    if size is not None:
        return f"{text[:limit]}… ({type(value).__name__} of {size:,} items)"
    return f"{text[:limit]}… ({len(text):,} characters)"


class AlssimError(Exception):
    """Base class of every error alssim raises on purpose."""


class ConfigError(AlssimError, ValueError):
    """A configuration (file, override or sweep specification) is invalid.

    Parameters
    ----------
    message : str
        What is wrong and what is allowed; values in it are shown with :func:`show_value`.
    key : str, optional
        Full dotted key path, e.g. ``"spread.contralateral_rate"``.
    source : str, optional
        File (or ``"overrides"``) the offending value came from.

    Notes
    -----
    The key and the source are escaped and cut by :func:`escape_text`. As a safety net for
    messages built elsewhere, unprintable characters in ``message`` are escaped too and a
    message longer than 2,000 characters keeps only its beginning and its end.
    """

    def __init__(self, message: str, *, key: str | None = None, source: str | None = None):
        self.key = key
        self.source = source
        message = _escape(str(message))
        if len(message) > _MAX_MESSAGE_CHARS:
            head, tail = _MAX_MESSAGE_CHARS * 3 // 4, _MAX_MESSAGE_CHARS // 5
            message = (f"{message[:head]}… ({len(message) - head - tail:,} characters left "
                       f"out) …{message[-tail:]}")
        self.detail = message
        parts = []
        if source:
            parts.append(escape_text(source))
        if key:
            parts.append(f"'{escape_text(key)}'")
        prefix = ": ".join(parts)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class ResultFormatError(AlssimError, ValueError):
    """A saved result is missing, truncated, edited or not an alssim result."""


def import_optional(module: str, extra: str, needed_for: str) -> Any:
    """Import the optional dependency ``module``, or say how to install it.

    Parameters
    ----------
    module : str
        Module to import, e.g. ``"pyarrow"``.
    extra : str
        The alssim extra that installs it, e.g. ``"parquet"``.
    needed_for : str
        What needs it, the start of the message, e.g. ``"writing Parquet"``.

    Raises
    ------
    AlssimError
        ``"<needed_for> needs <module>; install it with `pip install 'alssim[<extra>]'`"``.
    """
    try:
        return importlib.import_module(module)
    except ImportError:
        raise AlssimError(f"{needed_for} needs {module}; install it with "
                          f"`pip install 'alssim[{extra}]'`") from None


def check_format_version(version: Any, supported: int, where: Any) -> None:
    """Refuse a saved file whose ``format_version`` this alssim cannot read.

    Raises
    ------
    ResultFormatError
        If ``version`` is not an integer or is newer than ``supported`` (naming ``where``).
    """
    if isinstance(version, bool) or not isinstance(version, int) or version > supported:
        raise ResultFormatError(f"{escape_text(str(where))}: format version "
                                f"{escape_text(version)} is newer than this alssim reads; "
                                "upgrade alssim")
