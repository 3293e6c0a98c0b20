"""``execopt basket``: the file formats, the library agreement, the exit codes."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

import execopt as eo
from execopt.cli.basket import read_covariance, read_orders
from execopt.cli.main import EXIT_OK, EXIT_SOLVER, EXIT_USAGE, main

N = 30


def _fit_file(path: Path, symbol: str, side: str, a: float, b: float, n: int = N, **extra) -> None:
    shape = 1.0 + 0.5 * np.linspace(-1, 1, n) ** 2
    doc = {
        "schema": "execopt.fit/1",
        "model": "quadratic",
        "params": {"a": a, "b": b},
        "profile": {"a": (a * shape).tolist(), "b": (b * shape).tolist()},
        "symbol": symbol,
        "side": side,
        **extra,
    }
    path.write_text(json.dumps(doc), encoding="utf-8")


@pytest.fixture
def orders(tmp_path: Path) -> Path:
    fits = tmp_path / "fits"
    fits.mkdir()
    _fit_file(fits / "a.json", "AAA", "sell", 0.02, 2e-4)
    _fit_file(fits / "b.json", "BBB", "buy", 0.01, 1e-4)
    p = tmp_path / "orders.csv"
    p.write_text(
        "symbol,side,shares,cap,params,price\n"
        "AAA,sell,3000,300,fits/a.json,50\n"
        "BBB,buy,5000,,fits/b.json,30\n",
        encoding="utf-8",
    )
    return p


@pytest.fixture
def cov(tmp_path: Path) -> Path:
    p = tmp_path / "cov.csv"
    p.write_text("symbol,BBB,AAA\nBBB,0.01,0.006\nAAA,0.006,0.02\n", encoding="utf-8")
    return p


def _library(orders: Path, C=None, k=0.0, band=None) -> eo.Basket:
    shape = 1.0 + 0.5 * np.linspace(-1, 1, N) ** 2
    legs = [
        eo.ExecutionProblem(3000, eo.QuadraticImpact(0.02 * shape, 2e-4 * shape), N, cap=300.0),
        eo.ExecutionProblem(5000, eo.QuadraticImpact(0.01 * shape, 1e-4 * shape), N),
    ]
    return eo.Basket(
        legs, ["sell", "buy"], covariance=C, risk_aversion=k, prices=[50.0, 30.0],
        neutrality_band=band,
    )  # fmt: skip


def test_basket_json_matches_the_library(orders, cov, tmp_path, capsys) -> None:
    out = tmp_path / "x" / "sched.csv"
    code = main(
        ["basket", str(orders), "--cov", str(cov), "--risk-aversion", "1e-3", "--band", "60000",
         "--out", str(out), "--json"]
    )  # fmt: skip
    doc = json.loads(capsys.readouterr().out)
    assert code == EXIT_OK and doc["certified"] is True
    C = np.array([[0.02, 0.006], [0.006, 0.01]])
    ref = eo.solve(_library(orders, C, 1e-3, 60000.0), "clarabel")
    assert doc["result"]["objective"] == pytest.approx(ref.objective, rel=1e-8)
    assert [r["symbol"] for r in doc["legs"]] == ["AAA", "BBB"]
    with out.open() as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["period", "AAA", "BBB"] and len(rows) == N + 1
    X = np.array([[float(v) for v in r[1:]] for r in rows[1:]]).T
    np.testing.assert_allclose(X, doc["result"]["schedule"], rtol=0, atol=0)
    assert eo.certify(_library(orders, C, 1e-3, 60000.0), X).passed()
    assert doc["baselines"]["independent"]["objective"] >= ref.objective * (1 - 1e-9)


def test_basket_human_table_and_plot(orders, tmp_path, capsys) -> None:
    png = tmp_path / "b.png"
    code = main(["basket", str(orders), "--method", "exact", "--plot", str(png)])
    out = capsys.readouterr().out
    assert code == EXIT_OK
    assert "AAA" in out and "certified lower bound" in out and "PASSED" in out
    assert png.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("symbol,side,shares,params\nA,buy,1,x.json\n", "missing column"),
        ("symbol,side,shares,cap,params\nA,hold,1,,x.json\n", "buy or sell"),
        ("symbol,side,shares,cap,params\nA,buy,-5,,x.json\n", "shares must be"),
        ("symbol,side,shares,cap,params\nA,buy,abc,,x.json\n", "not a number"),
        ("symbol,side,shares,cap,params\n", "no orders"),
        ("symbol,side,shares,cap,params\nA,buy,1,,a.json\nA,sell,1,,a.json\n", "more than once"),
    ],
)
def test_orders_file_errors(tmp_path, capsys, text, match) -> None:
    p = tmp_path / "o.csv"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(eo.errors.DataError, match=match):
        read_orders(p)
    assert main(["basket", str(p)]) == EXIT_USAGE
    assert "error:" in capsys.readouterr().err


def test_usage_errors(orders, cov, tmp_path, capsys) -> None:
    assert main(["basket", str(tmp_path / "missing.csv")]) == EXIT_USAGE
    assert main(["basket", str(orders), "--risk-aversion", "1e-3"]) == EXIT_USAGE
    assert "needs a covariance" in capsys.readouterr().err
    assert main(["basket", str(orders), "--cov", str(cov), "--method", "exact",
                 "--risk-aversion", "1e-3"]) == EXIT_USAGE  # fmt: skip
    assert "clarabel" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text("symbol,AAA,BBB\nAAA,1,2\nBBB,2,1\n", encoding="utf-8")
    assert main(["basket", str(orders), "--cov", str(bad), "--risk-aversion", "1"]) == EXIT_USAGE
    assert "semidefinite" in capsys.readouterr().err
    assert main(["basket", str(orders), "--cov", str(cov), "--estimate-cov"]) == EXIT_USAGE


def test_covariance_file_errors(tmp_path) -> None:
    p = tmp_path / "c.csv"
    p.write_text("symbol,A,B\nA,1,0\n", encoding="utf-8")
    with pytest.raises(eo.errors.DataError, match="square"):
        read_covariance(p, ["A", "B"])
    p.write_text("symbol,A,B\nA,1,0\nB,0,x\n", encoding="utf-8")
    with pytest.raises(eo.errors.DataError, match="not a number"):
        read_covariance(p, ["A", "B"])
    with pytest.raises(eo.errors.DataError, match="no row/column for C"):
        read_covariance(p, ["A", "C"])


def test_uncertified_answer_exits_3(orders, cov, monkeypatch, capsys) -> None:
    """A back-end answer whose certificate fails is exit code 3 (simulated: tolerance 0)."""
    from execopt.problem import basket_certificate

    monkeypatch.setattr(basket_certificate.BasketCertificate.passed, "__defaults__", (-1.0, 0.0))
    code = main(["basket", str(orders), "--cov", str(cov), "--risk-aversion", "1e-3"])
    assert code == EXIT_SOLVER
    assert "NOT certified" in capsys.readouterr().out


def test_estimate_cov_reads_the_books(tmp_path, capsys) -> None:
    """--estimate-cov reads each leg's book (here the synthetic presets its fit file names)."""
    for sym, side in (("FROG", "sell"), ("SOUN", "buy")):
        _fit_file(
            tmp_path / f"{sym}.json", sym, side, 0.02, 1e-4, n=390,
            source={"preset": sym, "seed": 1, "generator": "synthetic_book"},
        )  # fmt: skip
    p = tmp_path / "orders.csv"
    p.write_text(
        "symbol,side,shares,cap,params\nFROG,sell,2000,50,FROG.json\nSOUN,buy,4000,,SOUN.json\n",
        encoding="utf-8",
    )
    code = main(["basket", str(p), "--estimate-cov", "--risk-aversion", "1e-6", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == EXIT_OK
    est = doc["read"]["covariance"]
    assert est["minutes"] == 389 and 0.0 <= est["shrinkage"] <= 1.0
    assert "Ledoit-Wolf" in est["estimated"]
