"""A second process for a cold run of a large tree: os.fork, and pickles over two pipes.

The engine forks one helper once the cache is read and before any file is parsed. The helper
inherits everything the parent knows (settings, the cache, module names) without pickling any
of it; the parent and the helper then each parse, walk and summarize one share of the files,
exchange the summaries (pickled) so both hold the same project index, and each checks the files
whose trees it holds. The helper sends its findings back and leaves with os._exit: its trees are
never freed one by one.

Whatever goes wrong in the helper (an exception, a crash, a kill) shows to the parent as
`WorkerLost`; the engine then does the helper's share itself, so the findings are those of a
one-process run, only later.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
from collections.abc import Callable
from typing import IO, Any

# Environment override of the number of processes: 1 never forks, 2 forks whenever allowed.
JOBS_ENV = "ASYNCGUARD_JOBS"


class WorkerLost(Exception):
    """The helper process died or sent nothing usable."""


def available_jobs(requested: int | None = None) -> int:
    """How many processes a run may use: `requested`, else $ASYNCGUARD_JOBS, else the CPUs this
    process may run on; at most 2.

    Always 1 where fork is missing (Windows) or unsafe (threads are running: a forked copy of a
    threaded process may hold locks no thread will ever release).
    """
    if not hasattr(os, "fork"):
        return 1
    threading = sys.modules.get("threading")
    if threading is not None and threading.active_count() > 1:
        return 1
    if requested is not None:
        return max(1, min(2, requested))
    wanted = os.environ.get(JOBS_ENV, "").strip()
    if wanted:
        try:
            return max(1, min(2, int(wanted)))
        except ValueError:
            pass
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return 2 if cpus >= 2 else 1


class Worker:
    """One forked helper running `target(worker)`; both sides talk with send() and recv()."""

    def __init__(self, target: Callable[[Worker], None]) -> None:
        down_r, down_w = os.pipe()  # parent -> helper
        up_r, up_w = os.pipe()  # helper -> parent
        for stream in (sys.stdout, sys.stderr):  # nothing buffered may be written twice
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        pid = os.fork()
        if pid == 0:  # the helper
            status = 1
            try:
                os.close(down_w)
                os.close(up_r)
                self.pid = 0
                self._in: IO[bytes] = os.fdopen(down_r, "rb")
                self._out: IO[bytes] = os.fdopen(up_w, "wb")
                target(self)
                self._out.flush()
                status = 0
            except BaseException:  # the parent redoes the work: nothing to report from here
                status = 1
            finally:
                os._exit(status)  # no interpreter teardown, no atexit, no flushing the parent's buffers
        os.close(down_r)
        os.close(up_w)
        self.pid = pid
        self._in = os.fdopen(up_r, "rb")
        self._out = os.fdopen(down_w, "wb")
        self.alive = True

    def send(self, obj: object) -> None:
        try:
            pickle.dump(obj, self._out, protocol=pickle.HIGHEST_PROTOCOL)
            self._out.flush()
        except (OSError, pickle.PicklingError) as exc:
            if self.pid == 0:
                raise
            self.close(kill=True)
            raise WorkerLost(str(exc)) from exc

    def recv(self) -> Any:
        try:
            return pickle.load(self._in)
        except Exception as exc:  # EOF (the helper died), a truncated or foreign pickle
            if self.pid == 0:
                raise
            self.close(kill=True)
            raise WorkerLost(str(exc)) from exc

    def close(self, kill: bool = False) -> None:
        """Parent side: stop talking and reap the helper (after its last message it only exits)."""
        if self.pid == 0 or not self.alive:
            return
        self.alive = False
        for fh in (self._out, self._in):
            try:
                fh.close()
            except OSError:
                pass
        try:
            if kill:
                os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except OSError:
            pass
