"""Run tables built row by row: equal to the CSV round trip of the rows, in bounded memory."""

from __future__ import annotations

import io
import tracemalloc

import numpy as np
import pandas as pd
import pytest

import alssim
from alssim import batch
from alssim.batch import TableBuilder, build_table, parser_block_rows, table_to_csv
from alssim.cohort import canonical_table

WORDS = ["3", "1.50", "007", "True", "false", "", "a,b", 'say "hi"', "two\nlines", " pad ",
         "nan", "NA", "None", "1e5", "-0", "inf", "é", "x;y;z"]


def _assert_same_table(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(got.columns) == list(want.columns)
    assert list(got.dtypes) == list(want.dtypes)
    assert table_to_csv(got) == table_to_csv(want)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    for c in [c for c in want.columns if want[c].dtype == np.dtype(object)]:
        assert [type(v) for v in got[c]] == [type(v) for v in want[c]], c


def _random_rows(n: int, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    kinds = ["float", "int", "bool", "word", "float|None", "int|None", "bool|None", "word|None",
             "int|word", "float|bool", "None"]
    rows = []
    for i in range(n):
        row = {"run_id": i}
        for j, kind in enumerate(kinds):
            if rng.random() < 0.05:
                continue  # the key is missing from this row
            choice = str(rng.choice(kind.split("|")))
            row[f"{kind}.{j}"] = {
                "float": lambda: float(rng.choice([0.1, -0.0, 5e-324, 1e16, 3.0, 1.7e308,
                                                   rng.standard_normal() * 1e3])),
                "int": lambda: int(rng.choice([0, -7, 2**53 + 1, 2**62, int(rng.integers(99))])),
                "bool": lambda: bool(rng.random() < 0.5),
                "word": lambda: str(rng.choice(WORDS)),
                "None": lambda: None,
            }[choice]()
        if i % 97 == 5:
            row["late"] = str(rng.choice(WORDS))
        rows.append(row)
    return rows


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_table_equals_the_csv_round_trip_of_its_rows(seed):
    rows = _random_rows(1500, seed)
    want = canonical_table(pd.DataFrame.from_records(rows))
    _assert_same_table(build_table(iter(rows), ("run_id",)), want)


def test_rows_are_typed_per_chunk_as_from_records_types_them():
    # the table of many chunks is what the CSV of the chunks' frames, concatenated, reads back
    # as (e.g. an int of a chunk where its column also has None was written as a float)
    rows = _random_rows(4500, 3)
    for i, row in enumerate(rows):
        row["ints_then_words"] = (i if i % 3 else None) if i < 2000 else (i if i % 2 else "w")
    frames = [pd.DataFrame.from_records(rows[i:i + 2000]) for i in range(0, len(rows), 2000)]
    columns = list(dict.fromkeys(c for r in rows for c in r))
    want = canonical_table(pd.concat(frames, ignore_index=True).reindex(columns=columns))
    _assert_same_table(build_table(iter(rows), ("run_id",), chunk=2000), want)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::pandas.errors.DtypeWarning")
def test_columns_get_the_types_they_get_in_one_parse_of_the_full_table():
    # 300 columns: pandas parses the full CSV in blocks of 2048 rows and infers types per block
    width, n = 300, 2600
    assert parser_block_rows(width) == 2048
    rows = []
    for i in range(n):
        row = {"run_id": i, "numeric_then_words": "7" if i < 2048 else "word",
               "empty_then_words": None if i < 2100 else "word",
               "bool_then_missing": True if i < 2300 else None}
        row.update(dict.fromkeys((f"x{j}" for j in range(width - 4)), 0))
        rows.append(row)
    want = canonical_table(pd.DataFrame.from_records(rows))
    got = build_table(iter(rows), ("run_id",))
    _assert_same_table(got, want)
    # the block-wise parse shows: ints from the first block, words from the second
    assert {type(v) for v in got["numeric_then_words"]} == {int, str}
    assert {type(v) for v in got["empty_then_words"].dropna()} == {str}
    if int(pd.__version__.split(".")[0]) >= 3:  # pandas 3 reads strings as its str dtype
        assert isinstance(got["empty_then_words"].dtype, pd.StringDtype)
    assert got["bool_then_missing"].dtype == object


@pytest.mark.parametrize("width", [120, 300, 1000])
def test_parser_block_rows_match_pandas(width):
    rows = parser_block_rows(width) + 10
    cells = "x" + "\n".join([""] + ["7"] * (rows - 1))
    text = ",".join(f"c{j}" for j in range(width)) + "\n" + "\n".join(
        cell + "," * (width - 1) for cell in cells.split("\n")) + "\n"
    with pytest.warns(pd.errors.DtypeWarning):
        col = pd.read_csv(io.StringIO(text), keep_default_na=False, na_values=[""])["c0"]
    first_int = next(i for i, v in enumerate(col) if isinstance(v, int))
    assert first_int == parser_block_rows(width)


def _lazy_rows(n: int):
    rng = np.random.default_rng(3)
    for i in range(n):
        x = rng.random(30)
        row = {"run_id": i, "seed": int(rng.integers(2**62))}
        row.update({f"f{j}": float(v) for j, v in enumerate(x)})
        row.update({f"b{j}": bool(x[j] < 0.5) for j in range(3)})
        row["label"] = f"label-{i % 7}"
        row["path"] = ";".join(f"r{k}" for k in range(i % 5, i % 5 + 12))
        row["maybe"] = None if x[0] < 0.3 else float(x[1])
        row["flag"] = None if x[2] < 0.2 else bool(x[3] < 0.5)
        yield row


@pytest.mark.slow
def test_building_a_table_needs_little_more_memory_than_the_table():
    build_table(_lazy_rows(100), ("run_id", "seed"))  # imports and caches outside the trace
    tracemalloc.start()
    try:
        table = build_table(_lazy_rows(5000), ("run_id", "seed"), chunk=500)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # the rows are consumed a chunk at a time and no copy of the whole table is made (CSV
    # text, concatenated chunks, ...): the peak is about one table plus one chunk of rows
    # (about 1x the table here; 8x when the table was read back from its whole CSV)
    assert peak < 2 * table.memory_usage(deep=True).sum()


def test_records_are_handed_over_while_the_runs_go_on(monkeypatch):
    cfg = alssim.load_config(overrides={"simulation.scale": 0.001, "simulation.dt_days": 30.0,
                                        "simulation.output_interval_days": 30.0})
    tasks = [batch.RunTask(run_id=i, seed=batch.derive_seed(1, i), heterogeneous=True)
             for i in range(6)]
    chunks_run, handed = [], []
    real_run_chunk = batch.run_chunk

    def counting_run_chunk(*args):
        chunks_run.append(len(args[1]))
        return real_run_chunk(*args)

    def on_record(task, seed, attrs, outs):
        handed.append((task.run_id, len(chunks_run)))
        assert seed == task.seed and "onset.site" in outs and "genotype" in attrs

    monkeypatch.setattr(batch.execution, "run_chunk", counting_run_chunk)
    batch.execute(cfg.to_toml(), tasks, outputs=None, executor="serial", workers=None,
                  store=None, progress=False, desc="", unit="", on_record=on_record,
                  chunksize=2)
    # in run order, each run as soon as its chunk is done (not after the whole batch)
    assert handed == [(0, 1), (1, 1), (2, 2), (3, 2), (4, 3), (5, 3)]


def test_runs_finishing_out_of_order_are_handed_over_in_run_order(monkeypatch):

    cfg = alssim.load_config(overrides={"simulation.scale": 0.001, "simulation.dt_days": 30.0,
                                        "simulation.output_interval_days": 30.0})
    tasks = [batch.RunTask(run_id=i, seed=batch.derive_seed(2, i)) for i in range(5)]
    done, handed = [], []

    def reversed_run_tasks(fn, payloads, backend, on_result, **_):
        results = [(index, fn(*args)) for index, args in payloads]
        for index, result in reversed(results):
            done.append(index)
            on_result(index, result)

    def on_record(task, seed, attrs, outs):
        handed.append((task.run_id, len(done)))

    monkeypatch.setattr(batch.execution, "run_tasks", reversed_run_tasks)  # the name batch calls
    batch.execute(cfg.to_toml(), tasks, outputs=["onset.*"], executor="serial", workers=None,
                  store=None, progress=False, desc="", unit="", on_record=on_record,
                  chunksize=2)
    # chunks finish as 2, 1, 0: nothing can be handed over before chunk 0 is done
    assert done == [2, 1, 0]
    assert handed == [(i, 3) for i in range(5)]


def test_builder_counts_rows_and_handles_no_rows():
    builder = TableBuilder(("a", "b"), chunk=2)
    assert len(builder) == 0
    empty = builder.finish()
    assert list(empty.columns) == ["a", "b"] and len(empty) == 0
    builder = TableBuilder(("a",), chunk=2)
    for i in range(5):
        builder.add({"a": i, "c": "x" if i % 2 else None})
    assert len(builder) == 5
    _assert_same_table(builder.finish(), canonical_table(pd.DataFrame.from_records(
        [{"a": i, "c": "x" if i % 2 else None} for i in range(5)])))
