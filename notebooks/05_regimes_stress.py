# %% [markdown]
# # 05 Regimes and stress: how do the nominal plan and its safety buffers fare when volatility, spread or depth move, and which volatility regimes did the FROG day go through?
#
# Stress scenarios transform the problem's parameters (spread, depth and caps, volatility) over the
# day or a window; the nominal plan is executed under each (what a cap refuses is carried forward)
# and compared with the re-planned optimum. Then policies are replayed in the execution simulator on
# stressed synthetic books. Finally a GARCH(1,1) on the FROG day's one-minute returns labels the
# volatility regimes the adaptive policy reacts to.

# %% tags=["parameters"]
seed = 0
fast = True
data_path = ""
output_dir = "reports/_scratch"

# %%
# %matplotlib inline
import dataclasses

import numpy as np
from IPython.display import Markdown, display

from execopt.execution.regimes import GarchRegimes
from execopt.reporting import figures
from execopt.reporting.artifacts import note_data, save_figure, save_table, write_finding
from execopt.reporting.present import human
from execopt.studies import (
    ParallelConfig,
    SimStressConfig,
    StressConfig,
    day,
    run_sim_stress,
    run_stress,
)

config = dataclasses.replace(StressConfig(), seed=seed)
config = config.fast() if fast else config
stress, timings = run_stress(config)
stress_shown = human(
    stress,
    ["scenario", "feasible", "cost_replanned", "cost_plan", "cost_equal", "regret_pct",
     "unfilled_shares", "over_cap_shares", "var95_plan", "description"],
)  # fmt: skip
save_table(stress, "stress", output_dir, shown=stress_shown)
display(
    Markdown(
        f"**Problem:** {config.stock}, S = {config.shares:,.0f} shares, risk aversion "
        f"{config.risk_aversion:g} per dollar; {len(stress)} scenarios in {timings['total']:.2f} s. "
        "Regret is what the nominal plan costs above the optimum re-planned for the stressed day."
    )
)
display(stress_shown)

# %%
fig = figures.stress_costs(stress)
save_figure(fig, "stress_costs", output_dir)
display(fig)

# %% [markdown]
# ## Policies in the simulator on stressed synthetic books

# %%
sim_config = dataclasses.replace(SimStressConfig(), seed=seed)
sim_config = sim_config.fast() if fast else sim_config
sim = run_sim_stress(sim_config, ParallelConfig(workers=1 if fast else 2, progress=False))
sim_shown = human(
    sim,
    ["scenario", "policy", "cost", "saving_vs_twap_pct", "fill_rate", "beyond_depth", "max_child",
     "share_high_regime", "buffer_saving"],
)  # fmt: skip
save_table(sim, "sim_stress", output_dir, shown=sim_shown)
display(
    Markdown(
        "Savings are against TWAP on the same stressed book: a saving > 0 means cheaper than TWAP. "
        "*Saved by regime buffers* compares the adaptive policy with the same policy using fixed "
        "buffers: > 0 when the regime-dependent buffers saved money."
    )
)
display(sim_shown)

# %% [markdown]
# ## GARCH(1,1) volatility regimes on the FROG day

# %%
book, source, path = day.frog_day(data_path, seed)
if path is not None:
    note_data(path, output_dir)
returns = np.diff(np.log(np.asarray(book.minute_snapshots().mid)))
garch = GarchRegimes().fit(returns)
vol = day.garch_volatility(book, garch)
save_table(vol, "garch_regimes", output_dir)
regime_share = vol["regime"].value_counts(normalize=True).mul(100).round(1)
display(
    Markdown(
        f"**Data:** {source}.  \nGARCH ({garch.source_}): omega = {garch.omega_:.3g}, alpha = {garch.alpha_:.3f}, "
        f"beta = {garch.beta_:.3f}, long-run one-minute vol {garch.long_run_vol_:.2e}, converged {garch.converged_}."
    )
)
display(
    human(
        regime_share.rename("share").rename_axis("regime").reset_index(),
        formats={"regime": ("volatility regime", "text"), "share": ("minutes (%)", "pct")},
    )
)
fig = figures.garch_volatility(vol)
save_figure(fig, "garch_volatility", output_dir)
display(fig)

# %%
st = stress.set_index("scenario")
worst = st["regret_pct"].idxmax()
write_finding(
    f"The worst feasible stress for the nominal plan is '{worst}' (regret {st.loc[worst, 'regret_pct']:.1f} % "
    f"over the re-planned optimum); {int((~st['feasible']).sum())} of {len(st)} scenarios cannot fill "
    f"S = {config.shares:,.0f} within the caps; GARCH puts {regime_share.get('high', 0.0):.1f} % of the "
    f"{'real' if path is not None else 'synthetic'} FROG day's minutes in the high-volatility regime.",
    output_dir,
)
