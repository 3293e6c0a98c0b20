"""Data paths, format detection, the read_book dispatcher, and the layering rule."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from data_helpers import REPO_ROOT, require_real, small_book, write_lobster, write_mbp10_csv
from execopt.data import (
    data_root,
    day_files,
    detect_format,
    find_data_root,
    frog_day_file,
    read_book,
)
from execopt.errors import DataError, InputError


def test_data_root_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EXECOPT_DATA", raising=False)
    assert data_root() is None
    monkeypatch.setenv("EXECOPT_DATA", str(tmp_path))
    assert data_root() == tmp_path
    assert find_data_root() == tmp_path
    monkeypatch.setenv("EXECOPT_DATA", str(tmp_path / "nope"))
    with pytest.raises(DataError, match="not a folder"):
        data_root()


def test_find_data_root_falls_back_to_shared(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EXECOPT_DATA", raising=False)
    repo = tmp_path / "main"
    repo.mkdir()
    assert find_data_root(repo) is None
    (tmp_path / "shared" / "data").mkdir(parents=True)
    assert find_data_root(repo) == (tmp_path / "shared" / "data").resolve()


def test_day_files_naming_variants(tmp_path: Path) -> None:
    (tmp_path / "mbp10").mkdir()
    names = [
        "FROG_2025-04-03.csv.gz",
        "FROG_2025-04-04 00:00:00+00:00.csv",
        "FROG_2025-04-07 00_00_00+00_00.csv",
        "FROG_2025-04-03_last_per_minute.csv",
        "SOUN_2025-04-03.csv",
    ]
    for n in names:
        (tmp_path / "mbp10" / n).write_text("x")
    assert [p.name for p in day_files("FROG", "2025-04-03", tmp_path)] == [names[0]]
    assert [p.name for p in day_files("FROG", "2025-04-04", tmp_path)] == [names[1]]
    assert [p.name for p in day_files("FROG", "2025-04-07", tmp_path)] == [names[2]]
    assert frog_day_file(tmp_path).name == names[0]
    with pytest.raises(DataError, match="no FROG file for 2025-04-08"):
        frog_day_file(tmp_path, date="2025-04-08")
    with pytest.raises(InputError, match="YYYY-MM-DD"):
        day_files("FROG", "April 3", tmp_path)


@pytest.mark.data
def test_frog_day_file_in_real_data() -> None:
    root = require_real()
    assert frog_day_file(root).name == "FROG_2025-04-03.csv.gz"


def test_detect_format_and_dispatch(tmp_path: Path) -> None:
    book = small_book(periods=2)
    mbp = write_mbp10_csv(tmp_path / "FROG_2025-04-03.csv", book)
    ob, msg = write_lobster(tmp_path, book, sep=";")
    plain = tmp_path / "book.csv"
    plain.write_bytes(ob.read_bytes())
    assert detect_format(mbp) == "mbp10"
    assert detect_format(ob) == "lobster"
    assert detect_format(plain) == "lobster"  # no header, numbers only, 4k columns
    assert detect_format(tmp_path / "x.dbn.zst") == "dbn"
    assert len(read_book(mbp)) == len(book)
    assert read_book(ob, msg, date="2025-04-03").n_levels == 10
    assert read_book(plain).validation.timestamps_synthesised
    junk = tmp_path / "junk.csv"
    junk.write_text("hello,world\n")
    with pytest.raises(DataError, match="cannot tell its format"):
        read_book(junk)
    with pytest.raises(InputError, match="format"):
        read_book(mbp, format="parquet")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="LOBSTER files only"):
        read_book(mbp, tmp_path / "m.csv", format="mbp10")


def test_data_layer_imports_only_allowed_modules() -> None:
    """The leftmost layer: numpy/pandas/scipy/tqdm/stdlib and execopt.errors only (plus the
    optional databento_dbn, imported lazily, and execopt._validate, the argument checks that
    sit below the data layer with errors)."""
    allowed_roots = {"numpy", "pandas", "scipy", "tqdm", "databento_dbn", "__future__"}
    import sys

    stdlib = set(sys.stdlib_module_names)
    for path in sorted((REPO_ROOT / "src" / "execopt" / "data").glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                mods = [node.module]
            else:
                continue
            for mod in mods:
                root = mod.split(".")[0]
                if root == "execopt":
                    assert mod in ("execopt.errors", "execopt._validate") or mod.startswith(
                        "execopt.data"
                    ), f"{path.name} imports {mod}"
                else:
                    assert root in allowed_roots or root in stdlib, f"{path.name} imports {mod}"
