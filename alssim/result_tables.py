"""A result as a table: the tidy long table (:func:`result_to_dataframe`) and the labelled
:class:`xarray.Dataset` (:func:`result_to_xarray`), behind
:meth:`alssim.results.Result.to_dataframe` and :meth:`~alssim.results.Result.to_xarray`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from alssim.anatomy import COMPARTMENTS, SIDES
from alssim.errors import import_optional
from alssim.variables import VARIABLES

__all__ = ["result_to_dataframe", "result_to_xarray"]


def result_to_dataframe(result, *, after_death: str = "nan"):
    """Tidy long table of every recorded variable.

    Parameters
    ----------
    after_death : {'nan', 'keep'}
        What the table gives at records after the patient's death (the record of death,
        ``summary["clinical"]["death_months"]``, is the last one with values). ``'nan'``
        (default): the patient is dead, so every value there is NaN (an empty cell in
        ``timeseries.csv``): neuron counts, drivers and every clinical variable except
        ``patient_alive`` (0) and ``months_from_clinical_onset``. The rows are kept, so each
        variable still has a row at every record up to the horizon. ``'keep'``: the model's
        values at every record (the engine goes on after death; ``res.variables`` and
        ``res.clinical[name]`` always hold them).

    Returns
    -------
    pandas.DataFrame
        Columns ``time_months`` (from biological onset), ``segment``, ``side``,
        ``population`` ('umn' or 'lmn'), ``variable``, ``value``; one row per record time,
        population and variable (LMN-only variables have LMN rows only), then every
        clinical variable (:data:`alssim.clinical.CLINICAL_VARIABLES`): segment-level ones
        with ``population = "clinical"``, muscle-level ones (MUNE, CMAP) with ``population``
        = the muscle, global ones (ALSFRS-R, FVC, stages, criteria) with ``segment = "all"``,
        ``side = "both"``, ``population = "clinical"``; the global variable
        ``months_from_clinical_onset`` gives each record time from clinical onset (no rows
        when there is no clinical onset within the horizon).

    Raises
    ------
    ValueError
        If ``after_death`` is neither ``'nan'`` nor ``'keep'``.
    """

    course = result.clinical
    dead = course.records_to_blank(after_death)
    table = result.anatomy.population_table()
    n_t = len(result.times_months)
    frames = []
    for name, arr in result.variables.items():
        spec = VARIABLES.get(name)
        cols = np.arange(arr.shape[1])
        if spec is not None and spec.lmn_only:
            cols = cols[table["compartment_index"] == 1]
        k = len(cols)
        value = arr[:, cols].astype(np.float64)
        value[dead] = np.nan  # a dead patient has no living neurons to count
        frames.append(pd.DataFrame({
            "time_months": np.repeat(result.times_months, k),
            "segment": np.tile(table["segment"][cols], n_t),
            "side": np.tile(table["side"][cols], n_t),
            "population": np.tile(table["compartment"][cols], n_t),
            "variable": name,
            "value": value.ravel(),
        }))
    frames.append(course.to_dataframe(after_death=after_death))
    df = pd.concat(frames, ignore_index=True)
    for c in ("segment", "side", "population", "variable"):
        df[c] = df[c].astype("category")
    return df


def result_to_xarray(result):
    """The recorded state as an :class:`xarray.Dataset` with labelled dimensions.

    Needs the optional dependency xarray (``pip install "alssim[xarray]"``).

    Returns
    -------
    xarray.Dataset
        One data variable per recorded variable (:data:`VARIABLES`), dims ``(time,
        population, segment, side)``: ``time`` the record times (months from biological
        onset), ``population`` ``'umn'``/``'lmn'`` (as in :meth:`to_dataframe`),
        ``segment`` rostral to caudal, ``side`` ``'left'``/``'right'``; LMN-only variables
        are NaN for the UMN populations. ``counts`` and each loss milestone
        (``lost_10``, ``lost_50``; months, ``inf`` if never) have dims ``(population,
        segment, side)``. Units and meanings are each variable's ``units`` and
        ``description`` attributes; the dataset's attributes give the seed, onset and
        alssim version.

    Raises
    ------
    AlssimError
        If xarray is not installed (the message says how to install it).
    """
    xr = import_optional("xarray", "xarray", "Result.to_xarray")
    grid = result.anatomy.population_grid
    dims = ("population", "segment", "side")
    umn = np.array([c == "umn" for c in COMPARTMENTS])[:, None, None]
    data = {}
    for name, arr in result.variables.items():
        spec = VARIABLES.get(name)
        values = grid(arr)
        if spec is not None and spec.lmn_only:
            values = np.where(umn, np.nan, values.astype(float))
        attrs = {"units": spec.unit, "description": spec.doc} if spec is not None else {}
        data[name] = (("time", *dims), values, attrs)
    data["counts"] = (dims, grid(result.counts), {"units": "neurons",
                                               "description": "neurons at onset"})
    for name, arr in result.milestones.items():
        data[name] = (dims, grid(arr), {"units": "month", "description":
                                        f"months from biological onset to {name}"})
    o = result.onset
    return xr.Dataset(
        data,
        coords={"time": ("time", result.times_months, {"units": "month"}),
                "population": list(COMPARTMENTS), "segment": list(result.anatomy.segment_names),
                "side": list(SIDES)},
        attrs={"seed": -1 if result.seed is None else result.seed, "alssim_version": result.version,
               "onset": f"{o.compartment} {o.segment} {o.side}",
               "anatomy": result.anatomy.name})
