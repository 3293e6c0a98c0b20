# %% [markdown]
# # 10 Solver leaderboard: which external QP solvers meet the reference suite's standard?
#
# Every QP solver that `qpsolvers` finds installed (the `leaderboard` extra installs cvxopt,
# piqp, proxsuite, daqp, quadprog, ecos, HiGHS and QPALM beside Clarabel, OSQP and SCS) is run on
# the reference suite at its default settings and at tight ones, the way an outside team would:
# the suite is exported with `execopt suite export`, a QP-only adapter written from the exported
# `FORMAT.md` alone writes `<id>.csv` for every single-order LP/QP instance (transient kernels
# included: a dense K from the kernel's fields, or the exponential chain), and `execopt validate
# --only-present --json` judges the files (feasibility, objective, the schedule itself where the
# optimum is unique, the KKT conditions with the stored multiplier). Power-cone and
# second-order-cone instances are outside a QP solver's reach, baskets outside the adapter's;
# neither is counted. Time is the shifted geometric mean (shift 10 ms) with failures counted at
# the time limit (30 s a solve, 5 s in fast mode), as in qpbenchmark; a solver gets 300 s per
# setting for the whole suite. The fast mode runs a 17-instance subset.

# %% tags=["parameters"]
seed = 0
fast = True
data_path = ""
output_dir = "reports/_scratch"

# %%
# %matplotlib inline
import os

from IPython.display import display

from execopt.reporting import figures
from execopt.reporting.artifacts import save_data, save_figure, save_table, write_finding
from execopt.reporting.present import human
from execopt.studies.leaderboard import (
    available_solvers,
    failure_table,
    leaderboard_runs,
    summarize_leaderboard,
)

output_dir = os.path.abspath(output_dir)
#: Headers and formats of the leaderboard's columns (the saved CSV keeps the raw numbers).
FORMATS = {
    "solver": ("solver", "text"),
    "setting": ("setting", "text"),
    "family": ("family", "text"),
    "qp_instances": ("LP/QP instances", "int"),
    "passed": ("passed", "int"),
    "success_rate": ("success rate", "fraction_pct"),
    "shgeom_ms": ("time, shifted geo. mean (ms)", "ms"),
    "worst_rel_gap": ("worst relative gap", "sci"),
    "worst_violation": ("worst violation, validated (shares)", "sci"),
    "worst_raw_violation": ("worst violation, solver's own x (shares)", "sci"),
    "wrong_answer": ("wrong answer", "int"),
    "violation": ("infeasible answer", "int"),
    "false_infeasible": ("false infeasible", "int"),
    "timeout": ("timeout", "int"),
    "refused": ("refused", "int"),
    "id": ("instance", "text"),
    "kind": ("failure", "text"),
    "rel_gap": ("relative gap", "sci"),
    "why": ("why (first failed check, or the adapter's message)", "note"),
}
SHOWN = [c for c in FORMATS if c not in ("family", "id", "kind", "rel_gap", "why")]
solvers, missing = available_solvers()
runs = leaderboard_runs(solvers, fast=fast)
table = summarize_leaderboard(runs)
overall = table[table["family"] == "all"].drop(columns=["family"])
save_table(overall, "leaderboard", output_dir)
save_table(table, "leaderboard_by_family", output_dir)
save_data(runs, "leaderboard_runs", output_dir)  # one row per solver, setting and instance
fig = figures.leaderboard_chart(table)
save_figure(fig, "leaderboard", output_dir)
print("not installed:", ", ".join(missing) or "none")
display(human(overall, SHOWN, formats=FORMATS))
fig

# %% [markdown]
# ## By family

# %%
human(table, ["family", *SHOWN], formats=FORMATS)

# %% [markdown]
# ## Every QP instance a solver did not pass, and why

# %%
failed = failure_table(runs)
save_table(failed, "failures", output_dir)
human(failed, ["solver", "setting", "id", "family", "kind", "rel_gap", "violation", "why"],
      formats={**FORMATS, "violation": ("violation (shares)", "sci")})  # fmt: skip

# %%
write_finding(
    f"{'Fast subset' if fast else 'Whole suite'}: of {int(overall['qp_instances'].max())} LP/QP "
    "instances, passing `execopt validate` at default and at tight settings: "
    + ", ".join(
        f"{s} {int(d.loc[d.setting == 'default', 'passed'].sum())} and "
        f"{int(d.loc[d.setting == 'tight', 'passed'].sum())}"
        for s, d in overall.groupby("solver", sort=False)
    )
    + ".",
    output_dir,
)
