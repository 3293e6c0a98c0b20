# %% [markdown]
# # 08 Solver validation: how do the toolkit's own methods fare on the reference suite?
#
# The reference suite (`execopt suite export`) holds certified instances: quadratic, power law,
# book walks, mean-variance, large, badly scaled, degenerate and infeasible ones. Here every
# method of `eo.solve` is validated against it exactly as a production solver would be with
# `execopt validate`: feasibility, objective gap to the certified optimum (relative tolerance
# 1e-6) and KKT residuals. "n/a" means a method does not apply to an instance (OSQP on a power
# cone, SLSQP beyond its size limit), not a failure. Differential evolution runs on the fast
# subset only, with a short time limit: it is a baseline whose gap is the point.

# %% tags=["parameters"]
seed = 0
fast = True
data_path = ""
output_dir = "reports/_scratch"

# %%
import os

import pandas as pd
from IPython.display import display

from execopt.reporting import figures
from execopt.reporting.artifacts import save_figure, save_table, write_finding
from execopt.studies.suite.self_validation import self_validation_runs, summarize

output_dir = os.path.abspath(output_dir)
main_methods = ("exact", "clarabel", "osqp", "scs", "slsqp")
runs = pd.concat(
    [self_validation_runs(main_methods, fast=fast), self_validation_runs(("de",), fast=True)],
    ignore_index=True,
)
summary = summarize(runs)
save_table(summary, "self_validation", output_dir)
save_table(runs, "self_validation_runs", output_dir)
fig = figures.validation_summary(runs)
save_figure(fig, "self_validation_gaps", output_dir)
display(summary)
fig

# %% [markdown]
# ## Every run that did not pass

# %%
failed = runs[runs["status"] == "fail"]
save_table(failed, "failures", output_dir)
failed

# %%
write_finding(
    f"On {'the fast subset of the' if fast else 'the whole'} reference suite (DE: fast subset, short "
    "time limit), passed / applicable: "
    + ", ".join(f"{r.method} {int(r.passed)}/{int(r.applicable)}" for r in summary.itertuples())
    + " instances at rtol 1e-6 (n/a excluded).",
    output_dir,
)
