"""Run tables built row by row: each column typed by its kind, read back equal with its schema, in
bounded memory."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import alssim
from alssim import batch
from alssim.batch import (
    TableBuilder,
    TableSchema,
    build_table,
    read_table_file,
    table_to_csv,
    typed_table,
    write_table,
)
from alssim.cohort import canonical_table
from alssim.errors import ResultFormatError

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


def _round_trip(df: pd.DataFrame, tmp_path) -> pd.DataFrame:
    """``df`` written with its schema and read back."""
    write_table(tmp_path / "t.csv", df)
    return read_table_file(tmp_path / "t.csv")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_table_is_its_rows_typed_by_kind_and_reads_back_equal(seed, tmp_path):
    rows = _random_rows(1500, seed)
    want = typed_table(pd.DataFrame.from_records(rows))
    got = build_table(iter(rows), ("run_id",))
    _assert_same_table(got, want)
    _assert_same_table(_round_trip(got, tmp_path), got)
    kinds = dict(TableSchema.of(got).columns)
    assert kinds["run_id"] == "int"
    for name, kind in kinds.items():
        # each column's kind follows from the types of its values alone
        base = name.split(".")[0]
        expected = {"float": "float", "int": "int", "bool": "bool", "word": "str",
                    "float|None": "float", "int|None": "float", "bool|None": "bool_or_missing",
                    "word|None": "str", "int|word": "str", "float|bool": "str", "None": "float",
                    "late": "str", "run_id": "int"}[base]
        if got[name].isna().any() and expected in ("int", "bool"):
            expected = "float" if expected == "int" else "bool_or_missing"
        assert kind == expected, name


def test_a_column_has_one_kind_however_the_rows_are_chunked(tmp_path):
    # an int column with a missing value in one chunk only is float in every row; numbers and
    # words in one column are words in every row; booleans with a gap stay True/False/NaN
    rows = [{"run_id": i, "ints": None if i == 4500 else i,
             "numbers_then_words": 7 if i < 2048 else "word",
             "empty_then_words": None if i < 2100 else "word",
             "bool_then_missing": True if i < 2300 else None} for i in range(4600)]
    tables = [build_table(iter(rows), ("run_id",), chunk=k) for k in (1000, 2000, 5000)]
    for t in tables[1:]:
        _assert_same_table(t, tables[0])
    got = tables[0]
    assert got["ints"].dtype == np.float64
    assert table_to_csv(got).splitlines()[1].split(",")[1] == "0.0"
    assert {type(v) for v in got["numbers_then_words"]} == {str}
    assert set(got["numbers_then_words"].iloc[[0, 3000]]) == {"7", "word"}
    assert {type(v) for v in got["empty_then_words"].dropna()} == {str}
    assert got["bool_then_missing"].dtype == object
    assert {repr(v) for v in got["bool_then_missing"]} == {"True", "nan"}
    _assert_same_table(_round_trip(got, tmp_path), got)


_cells = st.one_of(st.none(), st.booleans(), st.integers(-2**62, 2**62),
                   st.floats(allow_nan=False, allow_infinity=True),
                   # (pandas < 3 reads a NUL character in a CSV cell as the end of the cell)
                   st.text(st.characters(blacklist_categories=("Cs",),
                                         blacklist_characters="\x00"), max_size=6),
                   st.sampled_from(WORDS))


@given(st.lists(st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), _cells, max_size=4),
                min_size=0, max_size=25),
       st.integers(1, 8))
@settings(max_examples=150, deadline=None)
def test_any_rows_make_one_table_that_reads_back_equal(rows, chunk):
    import tempfile
    from pathlib import Path

    rows = [{"run_id": i, **r} for i, r in enumerate(rows)]
    got = build_table(iter(rows), ("run_id",), chunk=chunk)
    _assert_same_table(got, build_table(iter(rows), ("run_id",), chunk=1000))
    with tempfile.TemporaryDirectory() as tmp:
        _assert_same_table(_round_trip(got, Path(tmp)), got)


def test_a_schema_that_does_not_fit_its_table_is_refused(tmp_path):
    df = build_table(iter([{"run_id": 0, "x": 1.5, "w": "a"}, {"run_id": 1, "x": 2.0, "w": "b"}]))
    write_table(tmp_path / "t.csv", df)
    schema = tmp_path / "t.schema.json"
    good = schema.read_text()
    cases = {
        "not an alssim table schema": '{"format": "other"}',
        "newer than this alssim reads": good.replace('"format_version": 1', '"format_version": 9'),
        "'columns' must be a list": good.replace('"kind": "float"', '"kind": "complex"'),
        "the columns are not those": good.replace('"name": "w"', '"name": "z"'),
        "does not fit its column's kind": good.replace('"kind": "str"', '"kind": "int"'),
        "not JSON": "{",
    }
    for message, text in cases.items():
        schema.write_text(text)
        with pytest.raises(ResultFormatError, match=message):
            read_table_file(tmp_path / "t.csv")


def test_a_table_without_a_schema_reads_as_pandas_infers_it(tmp_path):
    # tables saved before schemas were written still load
    (tmp_path / "t.csv").write_text("run_id,x,w\n0,1.5,a\n1,,7\n")
    got = read_table_file(tmp_path / "t.csv")
    assert list(got["run_id"]) == [0, 1] and np.isnan(got["x"][1]) and list(got["w"]) == ["a", "7"]


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
