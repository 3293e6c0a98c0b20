# %% [markdown]
# # 08 Solver validation: how do the toolkit's own methods fare on the reference suite?
#
# The reference suite (`execopt suite export`) holds certified instances: quadratic, power law,
# book walks, mean-variance, transient impact, baskets, large, badly scaled, degenerate and
# infeasible ones. Here every method of `eo.solve` is validated against it exactly as a
# production solver would be with `execopt validate`: feasibility, objective gap to the certified
# optimum (relative tolerance 1e-6), the schedule where the optimum is unique and KKT residuals.
# "n/a" means a method does not apply to an instance (OSQP on a power cone, SLSQP beyond its size
# limit or on a basket, exact on a coupled basket), not a failure. The SciPy baselines (SLSQP, differential
# evolution) run on the fast subset only, DE with a short time limit: on the whole suite SLSQP
# spends up to its 60 s limit on each non-smooth N = 390 book walk, and DE's gap is the point.

# %% tags=["parameters"]
seed = 0
fast = True
data_path = ""
output_dir = "reports/_scratch"

# %%
# %matplotlib inline
import os

import pandas as pd
from IPython.display import Markdown, display

from execopt.reporting import figures
from execopt.reporting.artifacts import save_figure, save_table, write_finding
from execopt.reporting.present import human
from execopt.studies.suite.self_validation import self_validation_runs, summarize

output_dir = os.path.abspath(output_dir)
runs = pd.concat(
    [
        self_validation_runs(("exact", "clarabel", "osqp", "scs"), fast=fast),
        self_validation_runs(("slsqp", "de"), fast=True),
    ],
    ignore_index=True,
)
summary = summarize(runs)
FORMATS = {
    "instances": ("instances", "int"),
    "pass_rate": ("pass rate (of applicable)", "fraction_pct"),
    "worst_rel_gap": ("worst relative gap", "sci"),
    "worst_gap_bps": ("worst gap (bp of notional)", "sci"),
    "median_seconds": ("median time (ms)", "seconds_as_ms"),
    "seconds": ("time (ms)", "seconds_as_ms"),
    "id": ("instance", "text"),
    "family": ("family", "text"),
    "periods": ("N", "int"),
    "gap_bps": ("gap (bp of notional)", "sci"),
    "max_violation": ("largest violation (shares)", "sci"),
}
summary_shown = human(
    summary,
    ["method", "instances", "applicable", "passed", "failed", "n_a", "pass_rate", "worst_rel_gap",
     "worst_gap_bps", "median_seconds"],
    formats=FORMATS,
)  # fmt: skip
save_table(summary, "self_validation", output_dir, shown=summary_shown)
save_table(runs, "self_validation_runs", output_dir, shown=human(runs, formats=FORMATS))
fig = figures.validation_summary(runs)
save_figure(fig, "self_validation_gaps", output_dir)
display(summary_shown)
display(fig)

# %% [markdown]
# ## Every run that did not pass

# %%
failed = runs[runs["status"] == "fail"]
failed_shown = human(failed, formats=FORMATS)
save_table(failed, "failures", output_dir, shown=failed_shown)
display(failed_shown if len(failed) else Markdown("Every applicable run passed."))

# %%
write_finding(
    f"On {'the fast subset of the' if fast else 'the whole'} reference suite (SLSQP and DE: fast "
    "subset), passed / applicable: "
    + ", ".join(f"{r.method} {int(r.passed)}/{int(r.applicable)}" for r in summary.itertuples())
    + " instances at rtol 1e-6 (n/a excluded).",
    output_dir,
)
