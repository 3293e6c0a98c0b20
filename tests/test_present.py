"""Tables for people: units in headers, separators, % and bp, no index, no scientific dollars."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from execopt.reporting.artifacts import save_table
from execopt.reporting.present import fmt, human


def test_known_columns_get_words_units_and_formats() -> None:
    df = pd.DataFrame(
        {
            "S": [10_000.0, 50_000.0],
            "policy": ["twap", "adaptive"],
            "cost": [231.456, 1_234_567.891],
            "vs_twap_pct": [0.0, 42.34],
            "shortfall_bps": [12.345, np.nan],
            "oracle_capture": [0.0, 0.631],
            "rel_gap": [1.6e-9, 0.0],
        },
        index=["a", "b"],
    )
    t = human(df)
    assert list(t.frame.columns) == [
        "order size S (shares)",
        "policy",
        "cost ($)",
        "saving vs TWAP (%)",
        "implementation shortfall (bp)",
        "oracle's saving captured",
        "relative gap to the optimum",
    ]
    assert t.frame.iloc[1].tolist() == [
        "50,000",
        "adaptive",
        "$1,234,568",
        "+42.3 %",
        "–",
        "63.1 %",
        "0",
    ]
    assert t.frame.iloc[0, 2] == "$231"
    assert t.frame.iloc[0, 6] == "1.6e-09"
    html = t._repr_html_()
    assert "<th" in html and ">a<" not in html  # no index column
    md = t.to_markdown()
    assert md.splitlines()[1].startswith("|---:|:---|")


def test_fmt_kinds() -> None:
    assert fmt(0.02493, "usd") == "$0.0249"
    assert fmt(-12.5, "usd") == "-$12.50"
    assert fmt(float("inf"), "num") == "∞"
    assert fmt(None, "text") == "–"
    assert fmt(True, "bool") == "yes"
    assert fmt(5.31e-05, "num") == "5.31e-05"
    assert fmt(12345.678, "num") == "12,346"


def test_save_table_writes_csv_in_full_and_markdown_for_people(tmp_path: Path) -> None:
    df = pd.DataFrame({"cost": [1234.5678], "reduction_pct": [12.3456]})
    csv, md = save_table(df, "t", tmp_path)
    assert "1234.5678" in csv.read_text()
    assert "$1,235" in md.read_text() and "12.3 %" in md.read_text()
