"""Local worker processes: how many cores there are, the spawned workers' start-up (they exit with
the process that started them), and the serial fallback when spawned workers would re-run the
caller's script."""

from __future__ import annotations

import ast
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
import tokenize
import warnings
from types import FrameType
from typing import Any

__all__ = [
    "BOOTSTRAP_MESSAGE",
    "SerialFallbackWarning",
    "available_cores",
    "inside_spawn_bootstrap",
    "local_workers",
    "serial_fallback",
    "spawn_problem",
    "worker_init",
]


class SerialFallbackWarning(RuntimeWarning):
    """Local worker processes were asked for but cannot work here; the runs go serially.

    Raised (as a warning) when spawned workers would re-run the calling script (no
    ``if __name__ == "__main__":`` guard) or cannot re-import it (read from standard input).
    """


def available_cores() -> int:
    """Number of CPU cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def local_workers(executor: Any = None, workers: int | None = None) -> int:
    """How many runs an executor choice holds in this machine's memory at once.

    ``workers`` when given; every core for the default local processes; one otherwise (serial,
    or a remote executor such as a Dask cluster, whose runs live in other machines' memory).
    """
    if isinstance(workers, int) and workers > 0:
        return workers
    return available_cores() if executor in (None, "processes") else 1


#: Seconds between a worker's checks that its parent is still alive (parent death through the
#: inherited pipe is noticed at once; this bounds the fallback check of the parent pid).
PARENT_POLL_SECONDS = 0.5


def worker_init(parent_pid: int) -> None:
    """Worker initialiser: Ctrl-C is handled by the main process alone; exit with the parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(parent_pid,), daemon=True,
                     name="alssim-parent-watch").start()


def _exit_with_parent(parent_pid: int) -> None:
    """End this worker process at once when ``parent_pid`` is gone.

    A spawned worker holds the read end of a pipe whose write end only its parent holds
    (``multiprocessing.parent_process().sentinel``): it becomes readable when the parent dies,
    however it dies. The parent pid is checked too, for platforms without that sentinel and
    for a parent that forked copies of the pipe.
    """
    parent = multiprocessing.parent_process()
    sentinel = getattr(parent, "sentinel", None)
    while True:
        if sentinel is not None:
            try:
                if multiprocessing.connection.wait([sentinel], timeout=PARENT_POLL_SECONDS):
                    os._exit(1)
            except OSError:  # pragma: no cover - sentinel unusable: fall back to polling
                sentinel = None
        else:  # pragma: no cover - platforms without a parent sentinel
            threading.Event().wait(PARENT_POLL_SECONDS)
        if os.getppid() != parent_pid:
            os._exit(1)


def _is_main_guard(node: ast.stmt) -> bool:
    """Whether ``node`` is ``if __name__ == "__main__":`` (either operand order)."""
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    t = node.test
    if len(t.ops) != 1 or not isinstance(t.ops[0], ast.Eq):
        return False
    sides = [t.left, t.comparators[0]]
    return any(isinstance(a, ast.Name) and a.id == "__name__" for a in sides) and any(
        isinstance(a, ast.Constant) and a.value == "__main__" for a in sides)


def _guarded(path: str, lineno: int) -> bool | None:
    """Whether line ``lineno`` of script ``path`` lies in the body of a top-level main guard.

    ``None`` when the script cannot be read or parsed.
    """
    try:
        with tokenize.open(path) as f:
            tree = ast.parse(f.read(), filename=path)
    except (OSError, SyntaxError, ValueError, UnicodeDecodeError):
        return None
    for node in tree.body:
        if isinstance(node, ast.If) and _is_main_guard(node) and \
                node.body[0].lineno <= lineno <= (node.body[-1].end_lineno or lineno):
            return True
    return False


def _main_frame(main: Any) -> FrameType | None:
    """The outermost frame running the main module's top-level code, if on this stack."""
    found = None
    f: FrameType | None = sys._getframe(1)
    g = vars(main)
    while f is not None:
        if f.f_globals is g and f.f_code.co_name == "<module>":
            found = f
        f = f.f_back
    return found


def spawn_problem() -> tuple[str, FrameType | None] | None:
    """Why spawned workers cannot serve this program, and the caller's top-level frame.

    A spawned worker re-imports the main module (as ``__mp_main__``) before it runs anything:
    by module name (``python -m mod``; skipped for a package's ``__main__``), or by path.
    ``None`` when that is harmless: no main file (interactive, ``python -c``, Jupyter), or the
    call is made from inside the script's ``if __name__ == "__main__":`` block (or from code
    that is not the script's top level, or the script cannot be parsed: left as it is).
    """
    main = sys.modules.get("__main__")
    if main is None:  # pragma: no cover - embedded interpreters
        return None
    frame = _main_frame(main)
    name = getattr(getattr(main, "__spec__", None), "name", None)
    path = getattr(main, "__file__", None)
    if name is not None:
        if name == "__main__" or name.endswith(".__main__"):
            return None
    elif path is None:
        return None
    else:
        full = path
        if not os.path.isabs(full):
            base = multiprocessing.process.ORIGINAL_DIR or os.getcwd()  # type: ignore[attr-defined]
            full = os.path.join(base, full)
        full = os.path.normpath(full)
        if os.path.splitext(os.path.basename(full))[0] == "ipython":
            return None
        if not os.path.isfile(full):
            what = "standard input" if path == "<stdin>" else f"{path!r}, which is not a file"
            return (f"worker processes cannot re-import a main program read from {what}", frame)
    if frame is None or path is None or not os.path.isfile(frame.f_code.co_filename):
        return None
    try:
        same = os.path.samefile(frame.f_code.co_filename, path)
    except OSError:
        return None
    if not same or _guarded(path, frame.f_lineno) is not False:
        return None
    script = os.path.basename(path)
    return (f"worker processes would re-run the top-level code of {script} (line "
            f"{frame.f_lineno} is not under `if __name__ == \"__main__\":`)", frame)

_fallback_warned = False


def serial_fallback(problem: tuple[str, FrameType | None], n: int) -> None:
    """Warn, once per process, at the caller's line of the main script, that runs go serially."""
    global _fallback_warned
    if _fallback_warned:
        return
    _fallback_warned = True
    reason, frame = problem
    fix = ("save it as a file with its work under" if "re-import" in reason
           else "put the script's work under")
    msg = (f"{reason}; running serially in this process (to use {n} worker processes, {fix} "
           f"`if __name__ == \"__main__\":`)")
    if frame is None:
        warnings.warn(msg, SerialFallbackWarning, stacklevel=3)
        return
    registry = frame.f_globals.setdefault("__warningregistry__", {})
    warnings.warn_explicit(msg, SerialFallbackWarning, frame.f_code.co_filename, frame.f_lineno,
                           module="__main__", registry=registry)

BOOTSTRAP_MESSAGE = (
    "a worker process re-imported the main script and reached its call into alssim: put the "
    "script's work under `if __name__ == \"__main__\":`")


def inside_spawn_bootstrap() -> bool:
    """Whether this is a spawned process still importing its parent's main module."""
    return bool(getattr(multiprocessing.current_process(), "_inheriting", False))
