"""Worker processes that run steps' code, one step each at a time.

Each worker has its own pipe, so the step whose worker dies (a segfault, an
out-of-memory kill, `os._exit`) or overruns its timeout is known: only that step
fails, and a new worker takes the dead one's place. Workers die with the process
that started them, so a killed run leaves none behind writing artifacts.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from runstack.components import CallAbandoned, CallTimeout
from runstack.errors import ConfigError, RunstackError

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.context import BaseContext

_PR_SET_PDEATHSIG = 1
_PARENT_CHECK_INTERVAL = 0.5
_LONGEST_WAIT = 86400.0


class WorkerDied(RunstackError):
    """The worker process running a step ended without answering."""


class RemoteTraceback(Exception):
    """The traceback of an error raised in a worker process, kept as the error's cause."""

    def __str__(self) -> str:
        return str(self.args[0])


class WorkerPool:
    """A fixed number of worker processes; one that dies or is killed is replaced when next needed.

    There are as many workers as step threads, so a thread asking for one always
    finds an idle worker or the place of a dead one.
    """

    def __init__(self, size: int) -> None:
        import multiprocessing  # an import that thread mode never pays for

        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        self._context = multiprocessing.get_context(method)
        self._changed = threading.Condition()
        self._busy: set[_Worker] = set()
        self._vacant = 0
        self._closing = False
        # Started now, on this thread: forking later, with step threads running, is riskier.
        self._idle = [_Worker(self._context) for _ in range(size)]

    def run(self, payload: bytes, timeout: float | None) -> bytes:
        """Run a pickled call on a worker; its pickled reply.

        Raises WorkerDied or CallTimeout for that call alone, and CallAbandoned once
        `close` gave up on the running steps.
        """
        worker = self._take()
        try:
            reply = worker.run(payload, timeout)
        except BaseException:  # the worker is dead, or in a state no next step should meet
            worker.kill()
            with self._changed:
                self._busy.discard(worker)
                self._vacant += 1
                self._changed.notify()
                if self._closing:
                    raise CallAbandoned("the run stopped waiting for this step") from None
            raise
        with self._changed:
            self._busy.discard(worker)
            closing = self._closing
            if not closing:
                self._idle.append(worker)
                self._changed.notify()
        if closing:  # returned after `close`: nobody else will stop it
            worker.stop()
        return reply

    def _take(self) -> _Worker:
        """An idle worker, or a new one in the place of one that died (even while idle)."""
        with self._changed:
            while not (self._idle or self._vacant or self._closing):
                self._changed.wait()
            if self._closing:
                raise CallAbandoned("the run stopped waiting for this step")
            if not self._idle:
                self._vacant -= 1
            elif (worker := self._idle.pop()).process.is_alive():
                self._busy.add(worker)
                return worker
        try:
            worker = _Worker(self._context)
        except BaseException:
            with self._changed:
                self._vacant += 1
                self._changed.notify()
            raise
        with self._changed:
            if not self._closing:
                self._busy.add(worker)
                return worker
        worker.stop()
        raise CallAbandoned("the run stopped waiting for this step")

    def close(self) -> None:
        """Stop the idle workers; kill those still running a step (the run gave up on them)."""
        with self._changed:
            self._closing = True
            self._changed.notify_all()
            busy, idle = list(self._busy), self._idle
            self._idle = []
        for worker in busy:
            worker.kill()
        for worker in idle:
            worker.stop()


class _Worker:
    """One worker process and the pipe its calls and replies travel on."""

    def __init__(self, context: BaseContext) -> None:
        self.connection, child = context.Pipe()
        on_main_thread = threading.current_thread() is threading.main_thread()
        self.process = context.Process(  # type: ignore[attr-defined]
            target=_serve, args=(child, os.getpid(), on_main_thread), name="runstack-worker"
        )
        self.process.start()
        child.close()

    def run(self, payload: bytes, timeout: float | None) -> bytes:
        try:
            self.connection.send_bytes(payload)
        except OSError:  # a broken pipe: the worker died while idle
            self.kill()
            raise WorkerDied(_death(self.process.exitcode)) from None
        ready = _wait([self.connection, self.process.sentinel], timeout)
        if not ready:
            self.kill()
            raise CallTimeout(f"timed out after {timeout:g} s; its worker process was killed")
        if self.connection in ready:
            try:
                return self.connection.recv_bytes()
            except EOFError:  # the pipe closed: the worker is gone
                pass
        self.process.join()
        raise WorkerDied(_death(self.process.exitcode))

    def kill(self) -> None:
        # The pipe stays open: the thread waiting on it sees the process end instead.
        self.process.kill()
        self.process.join()

    def stop(self) -> None:
        # An empty call, not end-of-file: workers forked later hold copies of this pipe.
        with contextlib.suppress(OSError):
            self.connection.send_bytes(b"")
        self.process.join(timeout=5)
        if self.process.exitcode is None:
            self.kill()


def _wait(objects: list[Any], timeout: float | None) -> list[Any]:
    """multiprocessing's `wait`, in slices: poll(2) takes at most about 24 days at once."""
    from multiprocessing.connection import wait

    if timeout is None:
        return wait(objects)
    deadline = time.monotonic() + timeout
    while True:
        remaining = max(deadline - time.monotonic(), 0)
        ready = wait(objects, min(remaining, _LONGEST_WAIT))
        if ready or remaining <= _LONGEST_WAIT:
            return ready


def _death(exitcode: int | None) -> str:
    """Why a worker ended, from its exit code: the signal that killed it, where there was one."""
    if exitcode is None or exitcode >= 0:
        return f"worker process died with exit code {exitcode}"
    try:
        name = signal.Signals(-exitcode).name
    except ValueError:
        name = str(-exitcode)
    likely = " (out of memory, or killed)" if -exitcode == signal.SIGKILL else ""
    return f"worker process died with signal {name}{likely}"


def _serve(connection: Connection, parent: int, pdeathsig: bool) -> None:
    """A worker's life: take a pickled call, answer with (ok, value, traceback), until an
    empty call."""
    import cloudpickle

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _die_with(parent, pdeathsig)
    while True:
        try:
            payload = connection.recv_bytes()
        except EOFError:
            return
        if not payload:
            return
        reply: tuple[bool, Any, str]
        try:
            function, work = cloudpickle.loads(payload)
            reply = (True, function(work), "")
        except BaseException as error:
            reply = (False, error, "".join(traceback.format_exception(error)))
        try:
            data = cloudpickle.dumps(reply)
        except Exception as error:
            failure = RuntimeError(f"the step's result cannot be sent back: {error}")
            data = cloudpickle.dumps((False, failure, ""))
        connection.send_bytes(data)


def pack(function: Callable[[Any], Any], work: Any) -> bytes:
    """A call as a worker takes it; code or data that cannot travel is a clear error."""
    import cloudpickle

    try:
        return bytes(cloudpickle.dumps((function, work)))
    except Exception as error:
        raise ConfigError(
            f"the step cannot be sent to a worker process: {type(error).__name__}: {error}; "
            "make what it uses picklable, or run it with mode 'threads'"
        ) from error


def unpack(reply: bytes) -> Any:
    """The value a worker returned, or its error raised here with the worker's traceback."""
    import cloudpickle

    ok, value, remote = cloudpickle.loads(reply)
    if ok:
        return value
    raise value from (RemoteTraceback(remote) if remote else None)


def _die_with(parent: int, pdeathsig: bool) -> None:
    """End this worker when `parent` ends, even by SIGKILL.

    Linux's PR_SET_PDEATHSIG fires when the *thread* that forked us ends, so it is
    used only for workers forked by the main thread; a watcher thread covers the rest
    (and other systems).
    """
    if pdeathsig and sys.platform == "linux":
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(_PARENT_CHECK_INTERVAL)
        os._exit(1)  # the whole process, at once, from any thread

    threading.Thread(target=watch, name="runstack-parent-watch", daemon=True).start()
