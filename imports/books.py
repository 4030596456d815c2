"""Opening an uploaded file: the one entry point (:func:`open_book`)."""

from __future__ import annotations

from pathlib import Path

from imports.reader import (
    ENCRYPTED_STREAM,
    MB,
    OLE_MAGIC,
    ZIP_MAGIC,
    Book,
    ReadError,
    _head,
    _open_csv,
    _size,
    max_upload_mb,
)
from imports.sandbox import Child


def open_book(source: bytes | Path, name: str, *, ahead: str | None = None) -> Book:
    """Check then open ``source`` (bytes of an upload, or a path). Raises ReadError.

    A workbook is guarded and parsed in a limited child process (:mod:`imports.sandbox`),
    where a native abort or a memory blow-up cannot take the server down; a CSV is read
    here (no native parser). ``ahead``: the sheet the caller will read ("" the first),
    parsed in the child while the file is checked."""
    size = _size(source)
    limit = max_upload_mb()
    if size > limit * MB:
        raise ReadError("imports.err.too_large", size=round(size / MB, 1), limit=limit)
    head = _head(source)
    suffix = Path(name).suffix.lower()
    if head.startswith(ZIP_MAGIC) or head.startswith(OLE_MAGIC):
        if head.startswith(OLE_MAGIC) and ENCRYPTED_STREAM in _head(source, 1 << 20):
            raise ReadError("imports.err.password")
        child = Child(source, name, ahead)
        kind, sheet_names, date1904, scans = child.meta
        return Book(kind, sheet_names, date1904, scans, _remote=child)
    if suffix in (".xlsx", ".xlsm", ".xls") or b"\0" in head[:4096]:
        raise ReadError("imports.err.not_excel")
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    return _open_csv(data, Path(name).stem or "csv")
