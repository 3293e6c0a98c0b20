"""Nothing half-written: every file goes through execopt._atomic (temp name, fsync, rename).

Unit tests of the helper, a static check that no module under src/ writes a file any other
way, and a disk-full test on a tiny tmpfs (skipped, with the reason, where mounting is not
allowed).
"""

from __future__ import annotations

import errno
import json
import os
import re
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from execopt import _atomic
from execopt._atomic import (
    FileSet,
    OutputFolder,
    atomic_path,
    check_output_dir,
    check_output_file,
    replace_folder,
    write_text,
)
from execopt.errors import ExecoptError, OutputError

SRC = Path(__file__).resolve().parent.parent / "src" / "execopt"


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# ----------------------------------------------------------------------------- one file
def test_write_replaces_the_file_whole(tmp_path: Path) -> None:
    f = tmp_path / "sub" / "x.csv"
    write_text(f, "old\n")
    write_text(f, "new\n")
    assert f.read_text() == "new\n"
    assert _names(f.parent) == ["x.csv"]  # no temporary left over


@pytest.mark.parametrize("exc", [RuntimeError("boom"), KeyboardInterrupt()])
def test_a_failing_writer_leaves_the_old_file_and_no_temp(
    tmp_path: Path, exc: BaseException
) -> None:
    f = tmp_path / "x.csv"
    f.write_text("old\n")
    with pytest.raises(type(exc)), atomic_path(f) as tmp:
        tmp.write_text("half a fi")
        raise exc
    assert f.read_text() == "old\n"
    assert _names(tmp_path) == ["x.csv"]


def test_the_temporary_name_keeps_the_suffix(tmp_path: Path) -> None:
    """Libraries pick the format from the name (pandas: .gz; matplotlib: .svg)."""
    with atomic_path(tmp_path / "d.csv.gz") as tmp:
        assert tmp.parent == tmp_path and tmp.name.endswith(".gz") and tmp.name.startswith(".")
        pd.DataFrame({"x": [1, 2]}).to_csv(tmp, index=False)
    assert pd.read_csv(tmp_path / "d.csv.gz")["x"].tolist() == [1, 2]


def test_a_folder_as_the_target_is_an_output_error(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="it is a folder; give a file name") as info:
        write_text(tmp_path, "x")
    assert isinstance(info.value, ExecoptError) and isinstance(info.value, OSError)
    with pytest.raises(OutputError, match="it is a folder"):
        check_output_file(tmp_path)


def test_a_file_in_the_path_is_an_output_error(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    with pytest.raises(OutputError, match="not a folder"):
        write_text(tmp_path / "f" / "x.csv", "x")
    with pytest.raises(OutputError, match="not a folder"):
        check_output_dir(tmp_path / "f")


def test_error_messages_name_the_path_and_the_fix() -> None:
    for code, fix in [
        (errno.ENOSPC, "free some space"),
        (errno.EROFS, "writable disk"),
        (errno.EACCES, "you can write to"),
    ]:
        err = _atomic.output_error("/out/x.csv", OSError(code, os.strerror(code)))
        assert str(err).startswith("cannot write /out/x.csv: ") and fix in str(err), str(err)


# ----------------------------------------------------------------------------- several files
def test_fileset_puts_all_files_in_place_or_none(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("old a")
    with pytest.raises(RuntimeError), FileSet() as fs:
        fs.write_text(tmp_path / "a.txt", "new a")
        fs.write_text(tmp_path / "b.txt", "new b")
        raise RuntimeError("the plot failed")
    assert _names(tmp_path) == ["a.txt"] and (tmp_path / "a.txt").read_text() == "old a"
    with FileSet() as fs:
        fs.write_text(tmp_path / "a.txt", "new a")
        fs.write_text(tmp_path / "b.txt", "new b")
    assert _names(tmp_path) == ["a.txt", "b.txt"] and fs.committed


# ----------------------------------------------------------------------------- a folder
def _manifest(folder: Path, name: str) -> dict:
    return json.loads((folder / f"{name}.manifest.json").read_text())


def test_output_folder_new_folder_appears_whole(tmp_path: Path) -> None:
    out = tmp_path / "res"
    with OutputFolder(out, name="mc", run_id="r1") as of:
        of.write_text("mc.json", "{}")
        with of.path("mc_draws.csv") as tmp:
            pd.DataFrame({"x": range(3)}).to_csv(tmp, index=False)
        assert not out.exists()  # staged beside it, not in it
        assert (tmp_path / "res.partial-r1" / "INCOMPLETE").exists()
    assert _names(out) == ["mc.json", "mc.manifest.json", "mc_draws.csv"]
    m = _manifest(out, "mc")
    assert m["run_id"] == "r1" and m["complete"] is True
    assert [f["name"] for f in m["files"]] == ["mc.json", "mc_draws.csv"]
    assert _names(tmp_path) == ["res"]  # the staging folder is gone


def test_output_folder_replaces_an_earlier_run_and_keeps_other_files(tmp_path: Path) -> None:
    out = tmp_path / "res"
    with OutputFolder(out, name="mc", run_id="r1") as of:
        of.write_text("mc.json", "1")
        of.write_text("mc_old_table.csv", "1")
    (out / "notes.txt").write_text("mine")
    with OutputFolder(out, name="other", run_id="o1") as of:
        of.write_text("other.json", "o")
    with OutputFolder(out, name="mc", run_id="r2") as of:
        of.write_text("mc.json", "2")
    assert _names(out) == [
        "mc.json",
        "mc.manifest.json",
        "notes.txt",
        "other.json",
        "other.manifest.json",
    ]
    assert (out / "mc.json").read_text() == "2" and _manifest(out, "mc")["run_id"] == "r2"


@pytest.mark.parametrize("exc", [RuntimeError("boom"), KeyboardInterrupt()])
def test_output_folder_failure_leaves_nothing_new(tmp_path: Path, exc: BaseException) -> None:
    out = tmp_path / "res"
    with pytest.raises(type(exc)), OutputFolder(out, name="mc") as of:
        of.write_text("mc.json", "{}")
        raise exc
    assert _names(tmp_path) == []
    with OutputFolder(out, name="mc", run_id="r1") as of:
        of.write_text("mc.json", "1")
    with pytest.raises(type(exc)), OutputFolder(out, name="mc") as of:
        of.write_text("mc.json", "2")
        raise exc
    assert (out / "mc.json").read_text() == "1" and _names(tmp_path) == ["res"]


def test_replace_folder_swaps_whole_folders(tmp_path: Path) -> None:
    dest = tmp_path / "report"
    dest.mkdir()
    (dest / "old.html").write_text("old")
    new = tmp_path / "work"
    new.mkdir()
    (new / "index.html").write_text("new")
    replace_folder(new, dest)
    assert _names(dest) == ["index.html"] and _names(tmp_path) == ["report"]


# ----------------------------------------------------------------------------- every writer
WRITE_CALL = re.compile(
    r"\.write_text\(|\.write_bytes\(|\bopen\([^)]*['\"][wax]b?['\"]|\.to_csv\(|\.savefig\(|"
    r"json\.dump\(|np\.save|\.to_parquet\(|\.to_excel\(|shutil\.(copy|move)"
)


def test_every_file_write_in_src_goes_through_the_atomic_helper() -> None:
    """A write call must write to a temporary path of execopt._atomic (``tmp``/``fh``)."""
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        if path.name == "_atomic.py":
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            code = line.split("#", 1)[0]
            if not WRITE_CALL.search(code):
                continue
            window = "\n".join(lines[max(0, i - 3) : i + 2])
            # a temporary path (tmp), an atomic handle, a FileSet/OutputFolder, or a function
            # whose callers pass one (marked "(atomic)" on the line; its callers are tested)
            staged = re.search(r"\btmp\b|atomic_open|\b(of|fs|out_files|folder)\.", window)
            staged = staged or "(atomic" in line
            if code.strip().startswith(("def ", '"', "'")) or staged:
                continue
            offenders.append(f"{path.relative_to(SRC)}:{i + 1}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


# ----------------------------------------------------------------------------- disk full
@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 kB tmpfs (needs root and a kernel that allows the mount)."""
    mnt = tmp_path / f"tiny-{uuid.uuid4().hex[:6]}"
    mnt.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a 64 kB tmpfs for the disk-full test needs root")
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({proc.stderr.strip() or proc.returncode})")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_disk_full_leaves_no_truncated_file(tiny_disk: Path) -> None:
    f = tiny_disk / "big.csv"
    write_text(f, "old\n")
    with pytest.raises(OutputError, match="no space left on the device") as info:
        write_text(f, "x" * 200_000)
    assert str(f) in str(info.value)
    assert f.read_text() == "old\n" and _names(tiny_disk) == ["big.csv"]
