"""The standard figure set of a result, and atomic figure saving."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from alssim.analysis import _data, bodymap, clinical, motor_units, populations, timeline
from alssim.analysis import cohort as cohort_mod
from alssim.analysis._style import save_figure
from alssim.analysis.bodymap import animate_body_map, preferred_animation_suffix
from alssim.analysis.captions import save_captioned, teaching_caption
from alssim.fileio import OutputExistsError

__all__ = ["STANDARD_FIGURES", "cohort_figures", "save_figure", "standard_figures"]


def _standard() -> dict[str, tuple[Callable, bool]]:

    # file stem -> (function of the result, needs the clinical layer)
    return {
        "populations": (populations.plot_populations, False),
        "body_map": (bodymap.plot_body_map, False),
        "body_map_over_time": (bodymap.plot_body_map_grid, False),
        "spread_timeline": (timeline.plot_spread_timeline, False),
        "motor_units": (motor_units.plot_motor_units, False),
        "clinical_course": (clinical.plot_clinical_course, True),
        "signs": (clinical.plot_signs, True),
        "mune_cmap_strength": (motor_units.plot_mune_cmap_strength, True),
    }


#: File stems of the standard figure set, in the order they are written.
STANDARD_FIGURES = ("populations", "body_map", "body_map_over_time", "spread_timeline",
                    "motor_units", "clinical_course", "signs", "mune_cmap_strength")


def _check_free(paths: list[Path], force: bool) -> None:
    taken = [p for p in paths if p.exists()]
    if taken and not force:
        raise OutputExistsError(
            f"{taken[0].parent}: already holds {', '.join(p.name for p in taken)}; pass "
            "force=True (--force) to overwrite")


def standard_figures(result, out_dir: str | Path, *, dpi: int = 100, force: bool = False,
                     animate: bool = False) -> list[Path]:
    """Write the standard PNG figures of one result (and optionally the body-map animation).

    Parameters
    ----------
    result : alssim.Result
    out_dir : str or Path
        Folder for the figures (created if needed).
    dpi : int
        Resolution of the PNGs.
    force : bool
        Overwrite figures already there (otherwise :class:`~alssim.fileio.OutputExistsError`).
    animate : bool
        Also write ``body_map.gif`` (or ``.mp4`` when ffmpeg is present).

    Returns
    -------
    list of Path
        The files written: ``populations.png``, ``body_map.png``, ``body_map_over_time.png``,
        ``spread_timeline.png``, ``motor_units.png`` and, when the clinical layer is available,
        ``clinical_course.png``, ``signs.png`` and ``mune_cmap_strength.png``; then the animation.
        When the result's config holds ``[teaching]`` text (``configs/teaching/*.toml``), each
        PNG carries its title and what to look for as a caption.
    """
    out_dir = Path(out_dir)
    has_clinical = _data.clinical(result) is not None
    todo = [(stem, func) for stem, (func, needs) in _standard().items()
            if has_clinical or not needs]
    targets = [out_dir / f"{stem}.png" for stem, _ in todo]
    anim_path = None
    if animate:
        anim_path = out_dir / f"body_map{preferred_animation_suffix()}"
        targets.append(anim_path)
    _check_free(targets, force)
    caption = teaching_caption(result)  # a teaching scenario's text goes under each figure
    written = []
    for (_stem, func), path in zip(todo, targets, strict=False):
        written.append(save_captioned(func(result), path, caption, dpi=dpi))
    if anim_path is not None:
        written.append(animate_path(result, anim_path))
    return written


def animate_path(result, path: Path) -> Path:
    """Write the body-map animation of ``result`` to ``path`` (see :func:`animate_body_map`)."""

    return animate_body_map(result, path)


def cohort_figures(cohort, out_dir: str | Path, *, dpi: int = 100,
                   force: bool = False) -> list[Path]:
    """Write the cohort figures (survival by onset site, dFS, first spread, onset sites).

    Parameters
    ----------
    cohort : alssim CohortResult or pandas.DataFrame
        A cohort result (its ``.patients`` table is used) or that table itself.
    out_dir : str or Path
    dpi : int
    force : bool
        Overwrite figures already there.

    Returns
    -------
    list of Path
        ``survival_by_onset.png``, ``dfs_histogram.png``, ``first_spread.png``,
        ``onset_sites.png``; a figure whose columns the table lacks is left out.
    """

    out_dir = Path(out_dir)
    funcs: dict[str, Callable[[Any], Any]] = {
        "survival_by_onset": cohort_mod.plot_survival_by_onset,
        "dfs_histogram": cohort_mod.plot_dfs_histogram,
        "first_spread": cohort_mod.plot_first_spread,
        "onset_sites": cohort_mod.plot_onset_sites,
    }
    _check_free([out_dir / f"{k}.png" for k in funcs], force)
    written = []
    for stem, func in funcs.items():
        try:
            fig = func(cohort)
        except cohort_mod.MissingColumnError:
            continue
        written.append(save_figure(fig, out_dir / f"{stem}.png", dpi=dpi))
    return written
