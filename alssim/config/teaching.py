"""The ``[teaching]`` section of a config: the narration of a teaching scenario
(:mod:`alssim.teaching` renders it as text and captions)."""

from __future__ import annotations

from alssim.errors import ConfigError
from alssim.fields import param, section

__all__ = ["MAX_ENTRIES", "MAX_TEXT_CHARS", "MAX_TITLE_CHARS", "Teaching"]

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
