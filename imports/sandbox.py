"""Parse untrusted workbooks in a child process with memory and time limits.

python-calamine allocates a sheet's whole extent up front and aborts the process
(SIGABRT, no Python exception) when it cannot; in the app server that would end
every user's session. So the guard scan and calamine run in a child started with
``python -m imports.sandbox`` under ``RLIMIT_AS`` / ``RLIMIT_CPU``; the parent pulls
rows from it in chunks over a pipe. A child that dies, overruns or runs out of
memory becomes one :class:`~imports.reader.ReadError` ("file refused: …").

The child lives as long as the :class:`~imports.reader.Book`: a sheet is parsed once
and can be iterated several times (the engine reads the key column first), while
the parent only ever holds one chunk of rows.

A caller that knows which sheet it will read (an import) has it parsed *while* the
guard scans the file, on a thread of the child (calamine lets go of the GIL): the
scan and the parse of a 100,000-row sheet take about 0.45 s each, one after the other
before. A file that would make calamine allocate more than the child may (what the
scan is there to refuse) can then end the child before the scan says why; the parent
then opens it once more the careful way — scan first, parse only what passed — so
the refusal names what the scan found (:meth:`Child._open`).
"""

from __future__ import annotations

import atexit
import io
import logging
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import IO, Any, NamedTuple

import python_calamine as pc

from imports import reader
from imports.cells import file_keys, make_coercer
from imports.reader import ReadError

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parent.parent
FIRST_CHUNK = 64  # enough for the header scan, so a preview does not pull a whole chunk
# rows per answer past the first: as many as the engine checks at a time
# (imports.engine.CHUNK), so the one answer read ahead holds the next whole chunk and is
# prepared while the engine works through this one (at 4096 the engine waited for
# four answers per chunk, the child idle between them)
CHUNK = 20_000
ANSWER_CELLS = 400_000  # a wide sheet's answer stops at this many cells (memory)


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, "") or default)
    except ValueError:
        return default


def memory_limit_mb() -> int:
    return _env_int("AFTERSALES_PARSE_MEMORY_MB", 2048)


def time_limit_s() -> int:
    return _env_int("AFTERSALES_PARSE_SECONDS", 60)


class Child:
    """The parent's handle on one sandboxed workbook."""

    def __init__(self, source: bytes | Path, name: str, ahead: str | None = None):
        """Start the child and open ``source`` in it. ``ahead``: the sheet to parse while
        the file is checked ("" the first one); None parses nothing before it is asked."""
        self._stderr: IO[bytes] | None = None  # the child's, read only when it fails
        self._pending: list[int | None] = []  # requests sent, answers not yet read
        self._ready: dict[int | None, tuple] = {}
        self._crashed = False
        self._asked = 0  # requests answered later (see later()), numbered -1, -2, …
        src = source if isinstance(source, bytes) else str(Path(source).resolve())
        try:
            self.meta = self._open(src, name, ahead)
        except BaseException:
            self.close()
            raise

    def _spawn(self) -> None:
        if self._stderr is not None:  # a child before this one (a careful second open)
            self._stderr.close()
        self._settings = _settings()
        started = _take(self._settings)
        self._proc, self._stderr = started.proc, started.stderr
        # the pipes' file objects stay open with the Popen object; Connection owns dups
        self._out = Connection(os.dup(self._proc.stdin.fileno()), readable=False)
        self._in = Connection(os.dup(self._proc.stdout.fileno()), writable=False)
        self._proc.stdin.close()
        self._proc.stdout.close()
        self._pending.clear()
        self._ready.clear()
        self._crashed = False

    def _open(self, src: bytes | str, name: str, ahead: str | None) -> Any:
        self._spawn()
        try:
            return self.call("open", src, name, ahead)
        except ReadError as exc:
            # a parse ahead of the scan may have ended the child (SIGABRT on an
            # allocation the limit refused) before the scan could say why: open it
            # again the careful way, once; a child out of time is not tried again
            if ahead is None or not self._crashed or exc.code == "imports.err.refused_time":
                raise
        self._close_pipes()
        self._spawn()
        return self.call("open", src, name, None)

    # ------------------------------------------------------------ protocol
    def call(self, *msg: Any) -> Any:
        """Send one request, wait (within the time limit) for its answer."""
        self._send(msg, None)
        return self._answer(None)

    def later(self, *msg: Any) -> Callable[[], Any]:
        """Send one request now; the returned function waits for its answer (rows read
        ahead meanwhile are kept for their iterator)."""
        self._asked -= 1  # below every iterator's number
        tag = self._asked
        self._send(msg, tag)
        return lambda: self._answer(tag)

    def _send(self, msg: tuple, tag: int | None) -> None:
        try:
            self._out.send(msg)
        except OSError:
            raise self._died() from None
        self._pending.append(tag)

    def _answer(self, tag: int | None) -> Any:
        """The answer to the request ``tag`` (None: the last plain call). The child answers
        in order; answers read ahead for another iterator are kept for it."""
        while tag not in self._ready:
            try:
                if not self._in.poll(time_limit_s()):
                    self._kill()
                    raise ReadError("imports.err.refused_time", seconds=time_limit_s())
                answer = self._in.recv()
            except (EOFError, OSError):
                raise self._died() from None
            self._ready[self._pending.pop(0)] = answer
        status, *value = self._ready.pop(tag)
        if status == "err":
            code, params = value
            raise ReadError(code, **params)
        return value[0] if len(value) == 1 else tuple(value)

    def rows(self, sheet: str, columns: Sequence[int] | None) -> tuple[int, Iterator[list[Any]]]:
        start, _height, it = self.call("iter", sheet, columns)
        return start, self._pull(it)

    def _pull(self, it: int) -> Iterator[list[Any]]:
        """Rows in chunks; past the first (the header probe) the child prepares the next
        chunk while the caller works through this one."""
        self._send(("next", it, FIRST_CHUNK), it)
        while True:
            rows, more = self._answer(it)
            if more:
                self._send(("next", it, CHUNK), it)
            yield from rows
            if not more:
                return

    def info(self, sheet: str) -> tuple[int, int, int]:
        """(first row, first column, height) of ``sheet``, parsing it if need be."""
        return self.call("info", sheet)

    def close(self) -> None:
        if getattr(self, "_proc", None) is None:  # the child never started
            return
        if any(tag is not None for tag in self._pending):  # rows read ahead, never wanted
            self._kill()
        if self._proc.poll() is None:
            try:
                self._out.send(("close",))
                self._proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self._kill()
        self._close_pipes()
        if self._stderr is not None:
            self._stderr.close()
        _replenish(self._settings)

    def _close_pipes(self) -> None:
        for conn in (getattr(self, "_out", None), getattr(self, "_in", None)):
            if conn is not None and not conn.closed:
                conn.close()

    def peak_mb(self) -> float:
        """Peak resident memory of the child (after it has been asked for it)."""
        return self.call("peak")

    # ------------------------------------------------------------ failures
    def _kill(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()  # our own child, by its handle
        self._proc.wait()

    def _died(self) -> Exception:
        self._kill()
        self._crashed = True
        rc = self._proc.returncode
        self._stderr.seek(0)
        tail = self._stderr.read(4000).decode("utf-8", "replace")
        log.info("sandboxed parser ended with %s: %s", rc, tail.strip())
        if "memory allocation" in tail or "MemoryError" in tail:
            return ReadError("imports.err.refused_memory", limit=memory_limit_mb())
        if rc in (-signal.SIGXCPU, -signal.SIGKILL):
            return ReadError("imports.err.refused_time", seconds=time_limit_s())
        detail = signal.Signals(-rc).name if rc and rc < 0 else f"exit {rc}"
        return ReadError("imports.err.refused", detail=detail)


# ---------------------------------------------------------------- starting children
class _Started(NamedTuple):
    proc: subprocess.Popen
    stderr: IO[bytes]
    settings: tuple[Any, ...]


# one child started ahead for the next workbook: Python's start and the child's imports
# (~70 ms) happen after this workbook is done, not before the next one can begin
_SPARE_LOCK = threading.Lock()
_spare: list[_Started] = []


def _settings() -> tuple[Any, ...]:
    """What a child is started with, its whole environment included (the guard's limits
    are read there); a spare started with other settings is not used."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    environ = tuple(sorted(os.environ.items()))
    return (sys.executable, path, str(memory_limit_mb()), str(time_limit_s()), environ)


def _start(settings: tuple[Any, ...]) -> _Started:
    python, path, memory, seconds, environ = settings
    env = {**dict(environ), "PYTHONPATH": path, "AFTERSALES_PARSE_MEMORY_MB": memory,
           "AFTERSALES_PARSE_SECONDS": seconds, "RUST_BACKTRACE": "0"}  # fmt: skip
    stderr = tempfile.TemporaryFile()  # noqa: SIM115 - open as long as the child lives
    proc = subprocess.Popen(
        [python, "-m", "imports.sandbox"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=stderr,
        cwd=ROOT,
        env=env,
    )
    return _Started(proc, stderr, settings)


def _take(settings: tuple[Any, ...]) -> _Started:
    """A fresh child for ``settings``: the spare if it is alive and was started with
    them, else a new one."""
    with _SPARE_LOCK:
        spare = _spare.pop() if _spare else None
    if spare is not None and (spare.settings != settings or spare.proc.poll() is not None):
        _discard(spare)
        spare = None
    return spare or _start(settings)


def _replenish(settings: tuple[Any, ...]) -> None:
    """Start the spare for the next workbook, once this one is done with its child (not
    before: its start would take a core from this workbook's scan and parse)."""
    with _SPARE_LOCK:
        if not _spare:
            _spare.append(_start(settings))


def _discard(started: _Started) -> None:
    if started.proc.poll() is None:
        started.proc.kill()
    started.proc.wait()
    for pipe in (started.proc.stdin, started.proc.stdout):
        if pipe is not None:
            pipe.close()
    started.stderr.close()


@atexit.register
def _discard_spare() -> None:
    with _SPARE_LOCK:
        while _spare:
            _discard(_spare.pop())


# ---------------------------------------------------------------- the child
def _limit() -> None:
    mem = memory_limit_mb() * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    cpu = time_limit_s()
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))


class _Ahead:
    """One sheet parsed on a thread while the guard scans the file (see the module's
    doc). Its failures are not reported here: the book's own parse of the sheet, when
    it is asked for, says what is wrong."""

    def __init__(self, source: bytes | str, sheet: str) -> None:
        self.sheet: str | None = None
        self.parsed: Any = None
        self._thread = threading.Thread(target=self._parse, args=(source, sheet), daemon=True)
        self._thread.start()

    def _parse(self, source: bytes | str, sheet: str) -> None:
        try:
            if isinstance(source, bytes):
                wb = pc.CalamineWorkbook.from_filelike(io.BytesIO(source))
            else:
                wb = pc.CalamineWorkbook.from_path(source)
            name = sheet or wb.sheet_names[0]
            self.parsed, self.sheet = wb.get_sheet_by_name(name), name
        except Exception:  # noqa: BLE001 - reported by the book's own parse, if asked
            self.parsed = None

    def take(self, sheet: str) -> Any:
        """The parsed sheet if it is ``sheet`` (waiting for the parse), else None."""
        self._thread.join()
        return self.parsed if self.sheet == sheet else None


class _Server:
    def __init__(self) -> None:
        self.book: Any = None
        self.iters: dict[int, Iterator[list[Any]]] = {}
        self.opened = 0
        self.ahead: _Ahead | None = None

    def handle(self, op: str, *args: Any) -> tuple:
        if op == "open":
            source, name, ahead = args
            if ahead is not None and reader._head(source).startswith(reader.ZIP_MAGIC):
                self.ahead = _Ahead(source, ahead)
            self.book = reader.open_local(source, name)
            b = self.book
            return ("ok", (b.kind, b.sheet_names, b.date1904, b.scans))
        if op in ("info", "iter", "keys"):
            self._take_ahead(args[0])
        if op == "info":
            (sheet,) = args
            return ("ok", (*self._start(sheet), self.book.height(sheet)))
        if op == "iter":
            sheet, columns = args
            first, rows = self.book.rows(sheet)
            if columns is not None:
                rows = _only(rows, columns)
            self.opened += 1
            it = self.opened
            self.iters[it] = rows
            return ("ok", first, self.book.height(sheet), it)
        if op == "next":
            it, n = args
            rows = self.iters[it]
            chunk: list[Any] = []
            cells = 0
            for r in rows:
                chunk.append(r)
                cells += len(r)
                if len(chunk) == n or cells >= ANSWER_CELLS:
                    break
            more = len(chunk) == n or cells >= ANSWER_CELLS
            if not more:
                del self.iters[it]
            return ("ok", chunk, more)
        if op == "keys":  # the duplicate-key pass, here: only its result crosses the pipe
            sheet, header_pos, fields, collect = args
            first, rows = self.book.rows(sheet)
            date1904 = self.book.date1904
            wanted = [(pos, make_coercer(f, date1904)) for pos, f in fields]
            return ("ok", file_keys(rows, first, header_pos, wanted, collect))
        if op == "peak":
            return ("ok", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        raise ValueError(op)

    def _take_ahead(self, sheet: str) -> None:
        """The sheet parsed ahead becomes the book's loaded sheet if it is the one asked
        for; any other answer drops it (one parsed sheet in memory at a time)."""
        ahead, self.ahead = self.ahead, None
        if ahead is None:
            return
        parsed = ahead.take(sheet)
        if parsed is not None and sheet in self.book.sheet_names:
            self.book._loaded = (sheet, parsed)

    def _start(self, sheet: str) -> tuple[int, int]:
        ws = self.book._sheet(sheet)
        start = ws.start
        return (start[0] + 1, start[1]) if start else (1, 0)


def _only(rows: Iterator[list[Any]], columns: Sequence[int]) -> Iterator[list[Any]]:
    """Rows of the same length holding only ``columns`` (None pickles in one byte)."""
    for row in rows:
        out = [None] * len(row)
        for c in columns:
            if c < len(row):
                out[c] = row[c]
        yield out


def main() -> None:
    _limit()
    fd_in, fd_out = os.dup(0), os.dup(1)
    os.dup2(2, 1)  # nothing but answers on the pipe
    conn_in = Connection(fd_in, writable=False)
    conn_out = Connection(fd_out, readable=False)
    server = _Server()
    while True:
        try:
            msg = conn_in.recv()
        except EOFError:  # the parent went away
            break
        if msg[0] == "close":
            break
        try:
            answer = server.handle(*msg)
        except ReadError as exc:
            answer = ("err", exc.code, exc.params)
        except MemoryError:
            answer = ("err", "imports.err.refused_memory", {"limit": memory_limit_mb()})
        conn_out.send(answer)
    # nothing to tidy: the parsed sheet goes with the process, not object by object in
    # the interpreter's shutdown (tens of ms the parent would wait for), and a parse
    # ahead of a refused file that still runs is not joined from inside native code
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
