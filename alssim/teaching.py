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

from alssim.config.params import param, section
from alssim.errors import ConfigError

__all__ = ["MAX_ENTRIES", "MAX_TEXT_CHARS", "MAX_TITLE_CHARS", "Teaching", "caption", "explain"]

#: Longest ``[teaching] title`` (characters): one line over a figure.
MAX_TITLE_CHARS = 200
#: Longest ``summary`` and longest entry of ``look_for``, ``questions``, ``answers``.
MAX_TEXT_CHARS = 2000
#: Most entries in ``look_for``, ``questions`` or ``answers``.
MAX_ENTRIES = 20


@section
class Teaching:
    """The ``[teaching]`` table: narration of a teaching scenario (all fields may be empty).

    Attributes
    ----------
    title : str
        Title of the scenario; empty for a config that is not a teaching scenario.
    summary : str
        What the scenario shows, in two or three sentences of plain language.
    look_for : tuple of str
        What to look for in the figures, one point per entry.
    questions : tuple of str
        Questions for students.
    answers : tuple of str
        Model answers, one per question, or none at all.
    """

    title: str = param("", "title of the teaching scenario (empty: not a teaching config)")
    summary: str = param("", "what the scenario shows, in plain language")
    look_for: tuple[str, ...] = param("", "what to look for in the figures, one point per entry")
    questions: tuple[str, ...] = param("", "questions for students")
    answers: tuple[str, ...] = param("", "model answers, one per question (or an empty list)")

    def _check(self, prefix: str, source: str | None) -> None:
        # bounded so that a caption (title and points to look for, under every figure) stays a
        # few lines: a megabyte of title would make a figure of hundreds of megapixels
        limits = {"title": MAX_TITLE_CHARS, "summary": MAX_TEXT_CHARS}
        for name, limit in limits.items():
            text = getattr(self, name)
            if len(text) > limit:
                raise ConfigError(f"is {len(text):,} characters long; at most {limit:,} allowed",
                                  key=f"{prefix}.{name}", source=source)
        for name in ("look_for", "questions", "answers"):
            entries = getattr(self, name)
            if len(entries) > MAX_ENTRIES:
                raise ConfigError(f"has {len(entries):,} entries; at most {MAX_ENTRIES} allowed",
                                  key=f"{prefix}.{name}", source=source)
            for i, text in enumerate(entries):
                if len(text) > MAX_TEXT_CHARS:
                    raise ConfigError(
                        f"is {len(text):,} characters long; at most {MAX_TEXT_CHARS:,} allowed",
                        key=f"{prefix}.{name}[{i}]", source=source)
        if self.answers and len(self.answers) != len(self.questions):
            raise ConfigError(
                f"must give one answer per question ({len(self.questions)}) or none; got "
                f"{len(self.answers)}", key=f"{prefix}.answers", source=source)

    @property
    def is_empty(self) -> bool:
        """Whether the table holds no text at all."""
        return not (self.title or self.summary or self.look_for or self.questions)


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
