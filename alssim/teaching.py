"""Teaching text carried by a config: what a scenario shows, what to look for, questions.

A teaching scenario (``configs/teaching/*.toml``) is an ordinary config with a ``[teaching]``
table. The text travels with the config (and so with every saved result), is printed by
``alssim run CONFIG --explain`` and is written under the standard figures as a caption. In the
packaged defaults the table is empty: a run that is not a teaching scenario has no text.

>>> import alssim
>>> from alssim.teaching import explain
>>> cfg = alssim.load_config("configs/teaching/onset_and_spread.toml")   # doctest: +SKIP
>>> print(explain(cfg.teaching))                                          # doctest: +SKIP
"""

from __future__ import annotations

import textwrap

# the section schema, declared in the config layer and re-exported here
from alssim.config.teaching import MAX_ENTRIES, MAX_TEXT_CHARS, MAX_TITLE_CHARS, Teaching

__all__ = ["MAX_ENTRIES", "MAX_TEXT_CHARS", "MAX_TITLE_CHARS", "Teaching", "caption", "explain"]

def _wrap(text: str, width: int, indent: str = "", hang: str = "") -> list[str]:
    return textwrap.wrap(" ".join(text.split()), width=width, initial_indent=indent,
                         subsequent_indent=hang or " " * len(indent),
                         break_on_hyphens=False) or [indent.rstrip()]


def explain(teaching: Teaching, *, answers: bool = False, width: int = 88) -> str:
    """The teaching text as plain, wrapped text for a terminal or a handout.

    Parameters
    ----------
    teaching : Teaching
        Usually ``cfg.teaching``.
    answers : bool
        Also print the model answers (for the teacher).
    width : int
        Line width in characters.

    Returns
    -------
    str
        Title, summary, "Look for" points and numbered questions (and answers); an empty
        string when ``teaching`` holds no text.
    """
    if teaching.is_empty:
        return ""
    lines: list[str] = []
    if teaching.title:
        lines += [teaching.title, "=" * min(len(teaching.title), width)]
    if teaching.summary:
        lines += [*_wrap(teaching.summary, width), ""]
    if teaching.look_for:
        lines.append("Look for:")
        for point in teaching.look_for:
            lines += _wrap(point, width, "  - ")
        lines.append("")
    if teaching.questions:
        lines.append("Questions:")
        for i, q in enumerate(teaching.questions, 1):
            lines += _wrap(q, width, f"  {i}. ")
        lines.append("")
    if answers and teaching.answers:
        lines.append("Answers (for the teacher):")
        for i, a in enumerate(teaching.answers, 1):
            lines += _wrap(a, width, f"  {i}. ")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def caption(teaching: Teaching, *, max_points: int = 3) -> str:
    """A short figure caption: the title and the first ``look_for`` points.

    Parameters
    ----------
    teaching : Teaching
    max_points : int
        Number of "look for" points to include.

    Returns
    -------
    str
        One paragraph per line (unwrapped); empty when ``teaching`` holds no text.
    """
    if teaching.is_empty:
        return ""
    head = teaching.title or "Teaching scenario"
    parts = [f"{head}." if not head.endswith((".", "?", "!")) else head]
    if teaching.look_for:
        parts.append("Look for: " + "; ".join(" ".join(p.split()).rstrip(".")
                                              for p in teaching.look_for[:max_points]) + ".")
    elif teaching.summary:
        parts.append(" ".join(teaching.summary.split()))
    return "\n".join(parts)
