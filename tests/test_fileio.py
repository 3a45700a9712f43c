"""Atomic writes: a write that fails part-way leaves the old file whole, and no temporary file."""

from __future__ import annotations

import os

import pytest

from alssim import fileio


@pytest.mark.parametrize("fail_at", ["fsync", "replace"])
def test_a_write_that_fails_leaves_the_old_file_whole(tmp_path, monkeypatch, fail_at):
    target = tmp_path / "table.csv"
    target.write_text("old,complete\n" * 1000)

    def crash(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, fail_at, crash)
    with pytest.raises(OSError, match="No space left"):
        fileio.atomic_write_text(target, "new,partial\n" * 100_000)
    monkeypatch.undo()
    assert target.read_text() == "old,complete\n" * 1000
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]


def test_a_reader_never_sees_part_of_a_new_file(tmp_path, monkeypatch):
    """While the data are written, the destination still holds the old file."""
    target = tmp_path / "summary.json"
    target.write_text('{"old": true}')
    seen = []
    real_fsync = os.fsync

    def look(fd):  # called after the data are written and before the rename
        seen.append(target.read_text())
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", look)
    fileio.atomic_write_text(target, '{"new": true}')
    assert seen == ['{"old": true}']
    assert target.read_text() == '{"new": true}'


def test_written_files_follow_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        path = fileio.atomic_write_bytes(tmp_path / "sub" / "f.bin", b"x")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o640
    assert (tmp_path / "sub").stat().st_mode & 0o777 == 0o750
