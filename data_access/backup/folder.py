"""The backup folder: the files' names, listing, uploads and retention."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from data_access import db
from data_access.backup.archive import check_file, require_admin

DEFAULT_FOLDER = db.ROOT / "data" / "backups"
PREFIX = "aftersales-"
STAMP = "%Y%m%d-%H%M%S"
NAME_RE = re.compile(r"^aftersales-(\d{8}-\d{6})(?:-\d+)?\.(zip|db)$")


def backup_name(now: dt.datetime, folder: Path, suffix: str = ".zip") -> Path:
    """``aftersales-YYYYmmdd-HHMMSS.zip`` in ``folder``, never overwriting a file."""
    base = f"{PREFIX}{now.strftime(STAMP)}"
    path, n = folder / f"{base}{suffix}", 1
    while path.exists():
        path, n = folder / f"{base}-{n}{suffix}", n + 1
    return path


# ---------------------------------------------------------------- folder and retention
@dataclass(frozen=True)
class BackupFile:
    path: Path
    taken_at: dt.datetime
    kind: str  # zip | db
    size: int


def list_backups(folder: Path | None = None) -> list[BackupFile]:
    """Backups this module named in ``folder``, newest first (other files ignored)."""
    folder = Path(folder or DEFAULT_FOLDER)
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        match = NAME_RE.match(path.name)
        if match and path.is_file():
            taken = dt.datetime.strptime(match.group(1), STAMP)
            found.append(BackupFile(path, taken, match.group(2), path.stat().st_size))
    return sorted(found, key=lambda b: (b.taken_at, b.path.name), reverse=True)


def add_to_folder(data: BinaryIO, folder: Path, *, role: str | None) -> Path:
    """Put a backup brought from elsewhere (an upload) into ``folder`` under its own
    time, once it checks out; a bad file is deleted and refused."""
    require_admin(role)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=".upload-", suffix=".part", dir=folder)
    part = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(data, out, 1 << 20)
        manifest = check_file(part)
        taken = dt.datetime.fromisoformat(manifest.created_at)
        dest = backup_name(taken, folder)
        os.replace(part, dest)
    finally:
        part.unlink(missing_ok=True)
    return dest


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete the oldest backups of each kind beyond the newest ``keep``."""
    removed = []
    for kind in ("zip", "db"):
        for old in [b for b in list_backups(folder) if b.kind == kind][max(keep, 1) :]:
            old.path.unlink()
            removed.append(old.path)
    return removed
