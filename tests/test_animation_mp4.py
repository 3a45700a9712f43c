"""The body-map animation as MP4, where ffmpeg is installed (GIF is tested in test_analysis)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

import alssim
from tests.conftest import small_config

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
                                reason="ffmpeg/ffprobe not installed (apt-get install ffmpeg)")


def test_animate_body_map_writes_a_playable_mp4(tmp_path):
    from alssim.analysis import animate_body_map

    res = alssim.simulate(small_config(**{"simulation.horizon_years": 3.0}), seed=2)
    path = animate_body_map(res, tmp_path / "spread.mp4")
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
         "stream=codec_name,nb_read_frames", "-of", "csv=p=0", str(path)],
        capture_output=True, text=True, check=True)
    codec, frames = probe.stdout.strip().split(",")
    assert codec in ("h264", "mpeg4") and int(frames) > 1
    assert [p.name for p in tmp_path.iterdir()] == ["spread.mp4"]  # no temporary left behind
