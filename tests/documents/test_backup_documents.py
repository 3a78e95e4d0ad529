"""The documents' files in the backup: written beside the database copy, restored only into
an empty storage root, and nothing but stored files unpacked."""

from __future__ import annotations

import io
import stat
import tarfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from caseflow.backup import BackupError, backup_documents, restore_documents

NOW = datetime(2026, 12, 7, 2, 30, tzinfo=UTC)


def _stored(root: Path, name: str, content: bytes) -> Path:
    path = root / name[:2] / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def test_round_trip_keeps_every_stored_file_and_leaves_incoming_out(tmp_path: Path) -> None:
    root = tmp_path / "documents"
    first = _stored(root, "ab" + "1" * 30, b"%PDF-1.4 eins")
    second = _stored(root, "cd" + "2" * 30, b"%PDF-1.4 zwei")
    (root / "incoming").mkdir()
    (root / "incoming" / ("3" * 32)).write_bytes(b"halb angekommen")

    written = backup_documents(root, tmp_path / "backups", now=NOW)
    assert written is not None
    tar, count = written
    assert tar.name == "caseflow-20261207-023000-dokumente.tar" and count == 2
    assert stat.S_IMODE(tar.stat().st_mode) == 0o600
    with tarfile.open(tar) as archive:
        assert sorted(archive.getnames()) == sorted(
            path.relative_to(root).as_posix() for path in (first, second)
        )

    target = tmp_path / "restored"
    assert restore_documents(tar, target) == 2
    assert (target / first.relative_to(root)).read_bytes() == b"%PDF-1.4 eins"
    assert (target / second.relative_to(root)).read_bytes() == b"%PDF-1.4 zwei"
    with pytest.raises(BackupError, match="schon Dokumente"):
        restore_documents(tar, target)


def test_nothing_to_keep_writes_no_file(tmp_path: Path) -> None:
    assert backup_documents(tmp_path / "missing", tmp_path / "backups", now=NOW) is None
    assert not (tmp_path / "backups").exists()


@pytest.mark.parametrize("name", ["../x", "ab/../../x", "/etc/x", "ab/" + "1" * 31 + "/z"])
def test_a_tar_with_anything_but_stored_files_is_refused(tmp_path: Path, name: str) -> None:
    tar = tmp_path / "boese-dokumente.tar"
    with tarfile.open(tar, "w") as archive:
        info = tarfile.TarInfo(name)
        info.size = 4
        archive.addfile(info, io.BytesIO(b"boom"))
    with pytest.raises(BackupError, match="keine Dokumentensicherung"):
        restore_documents(tar, tmp_path / "root")
    assert not (tmp_path / "x").exists()
    assert not (tmp_path / "root").exists()


def test_a_link_in_the_tar_is_refused(tmp_path: Path) -> None:
    tar = tmp_path / "link-dokumente.tar"
    with tarfile.open(tar, "w") as archive:
        info = tarfile.TarInfo("ab/" + "1" * 32)
        info.type = tarfile.SYMTYPE
        info.linkname = "/etc/passwd"
        archive.addfile(info)
    with pytest.raises(BackupError):
        restore_documents(tar, tmp_path / "root")


def test_the_commands_back_up_and_restore_the_documents(app, tmp_path: Path) -> None:
    root = Path(app.config["DOCUMENT_STORAGE_ROOT"])
    _stored(root, "ef" + "4" * 30, b"%PDF-1.4 gesichert")
    runner = app.test_cli_runner()
    folder = tmp_path / "backups"
    result = runner.invoke(args=["backup", "--to", str(folder)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("Sicherung geschrieben: ")
    assert lines[1].startswith("Dokumente gesichert: ") and "(1 Dateien, " in lines[1]
    (tar,) = folder.glob("*-dokumente.tar")

    app.config["DOCUMENT_STORAGE_ROOT"] = str(tmp_path / "neu")
    done = runner.invoke(args=["restore", str(tar), "--yes"])
    assert done.exit_code == 0, done.output
    assert "1 Dokumentdateien" in done.output
    assert (tmp_path / "neu" / "ef" / ("ef" + "4" * 30)).read_bytes() == b"%PDF-1.4 gesichert"
    again = runner.invoke(args=["restore", str(tar), "--yes"])
    assert again.exit_code == 1 and "schon Dokumente" in again.output
