"""The settings page's backup & restore tab (admins only; data_access checks the role
again). Not a page itself: ``pages/settings.py`` renders it in a tab.

Backups live in a folder on the server (the schedule's): back up now, download or
verify one, set the schedule, and restore one after typing a confirmation word. A
restore first backs up the current data, so it can itself be undone.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from data_access import backup, db
from data_access.users import CurrentUser
from pages.common import USER_KEY, get_engine, now, tr

CONFIRM_WORD = "RESTORE"  # the same in every language: typed, not read


def render(user: CurrentUser, lang: str) -> None:
    engine = get_engine()
    with db.read(engine) as session:
        plan = backup.get_schedule(session)
    folder = Path(plan.folder)
    if st.button(tr("backup.create"), key="backup.create", type="primary"):
        done = backup.create_backup(engine, folder, role=user.role, user_id=user.id, now=now())
        st.success(tr("backup.created", **_figures(done)))
    files = backup.list_backups(folder)
    st.subheader(tr("backup.list"))
    st.text(str(folder))
    if not files:
        st.info(tr("backup.none"))
    else:
        backups_table(files)
        picked = files_menu(files, "backup.pick")
        actions(user, picked)
    schedule_form(user, plan)
    upload_form(user, folder)
    if files:
        restore_form(user, files, folder)


def _figures(done: backup.Done) -> dict:
    return {
        "file": done.path.name,
        "rows": done.manifest.rows,
        "tables": len(done.manifest.tables),
        "size": f"{done.size / 1024:.0f} KiB",
        "seconds": f"{done.seconds:.1f}",
    }


def backups_table(files: list[backup.BackupFile]) -> None:
    rows = [
        {
            tr("backup.col.file"): b.path.name,
            tr("backup.col.taken_at"): b.taken_at,
            tr("backup.col.size_kib"): round(b.size / 1024),
        }
        for b in files
    ]
    st.dataframe(rows, hide_index=True)


def files_menu(files: list[backup.BackupFile], key: str) -> backup.BackupFile:
    by_name = {b.path.name: b for b in files}
    name = st.selectbox(tr("backup.pick"), list(by_name), key=key)
    return by_name.get(name, files[0])


def actions(user: CurrentUser, picked: backup.BackupFile) -> None:
    left, right = st.columns(2)
    with left:
        st.download_button(
            tr("backup.download"),
            data=picked.path.read_bytes,  # read on click, not on every rerun
            file_name=picked.path.name,
            mime="application/zip" if picked.kind == "zip" else "application/octet-stream",
            key="backup.download",
        )
    with right:
        if picked.kind == "zip" and st.button(tr("backup.verify"), key="backup.verify"):
            with st.spinner():
                done = backup.verify_backup(picked.path, role=user.role)
            st.success(tr("backup.verified", **_figures(done)))


def schedule_form(user: CurrentUser, plan: backup.Schedule) -> None:
    st.subheader(tr("backup.schedule"))
    with st.form("backup.schedule", enter_to_submit=False):
        enabled = st.checkbox(tr("backup.schedule.enabled"), value=plan.enabled)
        folder = st.text_input(tr("backup.schedule.folder"), value=plan.folder)
        every = st.number_input(
            tr("backup.schedule.every_hours"), min_value=1.0, value=float(plan.every_hours)
        )
        keep = st.number_input(tr("backup.schedule.keep"), min_value=1, value=int(plan.keep))
        if st.form_submit_button(tr("backup.schedule.save")):
            new = backup.Schedule(bool(enabled), folder.strip(), float(every), int(keep))
            with db.write(get_engine()) as session:
                backup.save_schedule(session, new, role=user.role, user_id=user.id, now=now())
            st.success(tr("backup.schedule.saved"))


def upload_form(user: CurrentUser, folder: Path) -> None:
    """A backup from another machine joins the folder (checked) before it can be restored."""
    with st.form("backup.upload", clear_on_submit=True, enter_to_submit=False):
        sent = st.file_uploader(tr("backup.upload"), type=["zip"], key="backup.upload.file")
        if st.form_submit_button(tr("backup.upload.button")) and sent is not None:
            path = backup.add_to_folder(sent, folder, role=user.role)
            st.success(tr("backup.uploaded", file=path.name))


def restore_form(user: CurrentUser, files: list[backup.BackupFile], folder: Path) -> None:
    st.subheader(tr("backup.restore"))
    st.warning(tr("backup.restore.warning"))
    with st.form("backup.restore", clear_on_submit=True, enter_to_submit=False):
        zips = [b for b in files if b.kind == "zip"]
        picked = files_menu(zips, "backup.restore.pick") if zips else None
        typed = st.text_input(tr("backup.restore.confirm", word=CONFIRM_WORD))
        if not st.form_submit_button(tr("backup.restore.button")) or picked is None:
            return
    if typed.strip() != CONFIRM_WORD:
        st.error(tr("backup.restore.unconfirmed", word=CONFIRM_WORD))
        return
    engine = get_engine()
    backup.check_file(picked.path)  # a damaged file stops here, before anything is written
    before = backup.create_backup(engine, folder, role=user.role, user_id=user.id, now=now())
    done = backup.restore_backup(
        engine, picked.path, role=user.role, user_id=user.id, force=True, now=now()
    )
    # every cached query describes the replaced data: here a global clear is the point
    st.cache_data.clear()
    st.session_state.pop(USER_KEY, None)  # the restored users may differ: sign in again
    st.success(tr("backup.restored", before=before.path.name, **_figures(done)))
