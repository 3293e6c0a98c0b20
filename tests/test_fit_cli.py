"""The fit file (JSON round trip, validation) and the ``execopt fit`` command."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

import execopt as eo
from execopt.cli import fit as fit_cli
from execopt.errors import DataError, InputError
from execopt.impact.estimation import QuadraticFit
from execopt.impact.fitjson import (
    dumps_fit_json,
    file_source,
    fit_to_dict,
    impact_from_fit_json,
    read_fit_json,
    write_fit_json,
)
from execopt.impact.profiles import fit_profile_costs

REPO_ROOT = Path(__file__).resolve().parents[1]
X = np.unique(np.round(np.geomspace(1, 1000, 20)))


def _frog_day() -> Path | None:
    from execopt.data import find_data_root

    root = find_data_root(REPO_ROOT)
    if root is None:
        return None
    f = root / "mbp10" / "FROG_2025-04-03.csv.gz"
    return f if f.is_file() else None


def _costs(seed: int = 0, T: int = 390) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a = 0.03 * (1 + 0.2 * rng.standard_normal(T))
    return a[:, None] * X + 5e-5 * X**2 + 0.002 * X * rng.standard_normal((T, X.size))


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="execopt")
    sub = parser.add_subparsers(dest="command", required=True)
    fit_cli.register(sub)
    args = parser.parse_args(["fit", *argv])
    return fit_cli.run(args)


# ----------------------------------------------------------------------------- fit JSON
@pytest.mark.parametrize("model", ["quadratic", "power"])
def test_fit_json_round_trip(tmp_path: Path, model: str) -> None:
    prof = fit_profile_costs(X, _costs(), model=model, n_boot=30)  # type: ignore[arg-type]
    doc = fit_to_dict(
        prof.whole_day, side="buy", symbol="TEST", source={"preset": "x"}, profile=prof
    )
    assert doc["model"] == model and doc["side"] == "buy" and doc["symbol"] == "TEST"
    path = write_fit_json(doc, tmp_path / "fit.json")
    kind, whole, profile = read_fit_json(path)
    assert kind == model
    assert profile is not None and profile.periods == 390
    names = ("a", "b") if model == "quadratic" else ("gamma", "delta")
    for n in names:
        assert_allclose(getattr(whole, n), prof.whole_day.params_[n], rtol=1e-15)
    assert_allclose(getattr(profile, names[0]), prof.params[names[0]], rtol=1e-15)
    back = json.loads(path.read_text())
    assert back["ci"][names[0]][0] <= back["params"][names[0]] <= back["ci"][names[0]][1]
    assert len(back["profile"][names[0]]) == 390
    # the one entry point for consumers, from a path or a parsed dictionary
    assert impact_from_fit_json(path).periods == 390
    assert impact_from_fit_json(back, use_profile=False).periods is None
    sol = eo.solve(eo.ExecutionProblem(5_000, impact=impact_from_fit_json(path), periods=390))
    assert sol.certificate.passed()


def test_fit_json_writes_nan_as_null(tmp_path: Path) -> None:
    fit = QuadraticFit(n_boot=0, time_split=None).fit(X, 0.02 * X + 1e-4 * X**2)
    text = dumps_fit_json(fit_to_dict(fit))
    assert "NaN" not in text
    doc = json.loads(text)
    assert doc["ci"]["a"] == [None, None] and doc["oos"]["rmse"] is None
    assert impact_from_fit_json(doc).a == pytest.approx(0.02)  # type: ignore[attr-defined]


def test_both_models_file_needs_a_choice() -> None:
    q = fit_to_dict(QuadraticFit(n_boot=0).fit(X, 0.02 * X + 1e-4 * X**2))
    doc = {
        "quadratic": q,
        "power": {**q, "model": "power", "params": {"gamma": 0.02, "delta": 0.5}},
    }
    with pytest.raises(DataError, match="several models"):
        impact_from_fit_json(doc)
    assert isinstance(impact_from_fit_json(doc, model="power"), eo.PowerLawImpact)
    assert isinstance(impact_from_fit_json(doc, model="quadratic"), eo.QuadraticImpact)


GOOD = {"model": "quadratic", "params": {"a": 0.02, "b": 0.001}}


@pytest.mark.parametrize(
    "doc",
    [
        [1, 2, 3],
        {"params": {"a": 1, "b": 2}},
        {"model": "cubic", "params": {"a": 1}},
        {"model": "quadratic"},
        {"model": "quadratic", "params": {"a": 0.02}},
        {"model": "quadratic", "params": {"a": "0.02", "b": 0.001}},
        {"model": "quadratic", "params": {"a": -0.02, "b": 0.001}},
        {"model": "quadratic", "params": {"a": True, "b": 0.001}},
        {**GOOD, "ci": {"a": [0.03, 0.01]}},
        {**GOOD, "ci": {"a": [0.01]}},
        {**GOOD, "side": "long"},
        {**GOOD, "profile": {"a": [0.1, 0.2], "b": [0.001]}},
        {**GOOD, "profile": {"a": [0.1, 0.2]}},
        {**GOOD, "profile": {"a": [], "b": []}},
        {**GOOD, "profile": {"a": [0.1, -0.2], "b": [0.001, 0.001]}},
        {"model": "power", "params": {"gamma": 0.0, "delta": 0.5}},
        {"model": "power", "params": {"gamma": 0.01, "delta": 0.5}, "basis": "per_lot"},
        {"model": "power", "params": {"gamma": 0.01, "delta": 0.5}, "profile": {"delta": 0.5}},
    ],
)
def test_malformed_fit_json_raises_data_error(doc: object) -> None:
    with pytest.raises(DataError):
        impact_from_fit_json(doc)  # type: ignore[arg-type]


def test_malformed_fit_file_raises_data_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(DataError, match="not valid JSON"):
        read_fit_json(bad)
    with pytest.raises(DataError, match="cannot read"):
        read_fit_json(tmp_path / "missing.json")


def test_file_source_hashes(tmp_path: Path) -> None:
    f = tmp_path / "a.csv"
    f.write_bytes(b"abc")
    src = file_source(f)
    assert src["sha256"] == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


# ----------------------------------------------------------------------------- CLI
def test_cli_on_a_synthetic_preset_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["FROG", "--json", "--n-boot", "30"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["model"] == "quadratic" and doc["symbol"] == "FROG" and doc["side"] == "buy"
    assert doc["source"]["preset"] == "FROG"
    assert doc["params"]["a"] > 0 and doc["params"]["b"] >= 0
    assert len(doc["profile"]["a"]) == 390 and min(doc["profile"]["b"]) >= 0
    assert 0 <= doc["censored_share"] < 1 and doc["n_obs"] > 0


def test_cli_both_models_with_plot_and_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    png, out = tmp_path / "fit.png", tmp_path / "fit.json"
    code = _run(
        [
            "SOUN",
            "--model",
            "both",
            "--side",
            "sell",
            "--profile",
            "buckets",
            "--smoothing",
            "linear",
            "--n-boot",
            "20",
            "--plot",
            str(png),
            "--json-out",
            str(out),
        ]
    )
    assert code == 0
    text = capsys.readouterr().out
    assert "quadratic fit, sell side" in text and "power fit, sell side" in text
    assert "censored share" in text and "out-of-sample" in text
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    doc = json.loads(out.read_text())
    assert set(doc) == {"quadratic", "power", "data_validation", "span"}
    assert doc["span"]["days"][0]["minutes"] == 390 and doc["span"]["uncovered"] == []
    assert doc["data_validation"]["rows_dropped"] == 0
    assert doc["power"]["profile"]["method"] == "buckets"
    assert isinstance(impact_from_fit_json(out, model="power"), eo.PowerLawImpact)


def test_cli_unknown_source_is_an_input_error() -> None:
    with pytest.raises(InputError, match="not a synthetic preset"):
        _run(["NOPE_not_a_file.csv"])


def test_cli_bad_smoothing_is_an_input_error() -> None:
    with pytest.raises(InputError, match="smoothing"):
        _run(["FROG", "--smoothing", "linear", "--n-boot", "0"])


@pytest.mark.data
def test_cli_on_the_real_frog_day(capsys: pytest.CaptureFixture[str]) -> None:
    path = _frog_day()
    if path is None:
        pytest.skip("real data absent: set EXECOPT_DATA or provide ../shared/data")
    assert _run([str(path), "--json", "--model", "both", "--n-boot", "50"]) == 0
    doc = json.loads(capsys.readouterr().out)
    q, p = doc["quadratic"], doc["power"]
    assert q["symbol"] == "FROG" and len(q["source"]["sha256"]) == 64
    assert q["n_snapshots"] == 390 and len(q["profile"]["a"]) == 390
    for rec in (q, p):
        for name, v in rec["params"].items():
            lo, hi = rec["ci"][name]
            assert lo <= v <= hi
    assert q["params"]["a"] > 0 and q["params"]["b"] > 0
    assert 0 < p["params"]["delta"] < 3
