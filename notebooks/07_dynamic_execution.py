# %% [markdown]
# # 07 Dynamic execution backtests: replayed against the FROG day's book, how much of the perfect-foresight saving over TWAP does each policy capture?
#
# The simulator fills every child order by walking the live book of its minute (the real FROG day
# when `data_path` has it, else the seeded synthetic day), so model error shows. Policies: TWAP,
# VWAP, static optimal (solved once on a forecast), adaptive (re-estimates and re-solves every
# period), Almgren–Chriss, POV and the perfect-foresight oracle (sees the whole day: a bound, not a
# policy).

# %% tags=["parameters"]
seed = 0
fast = True
data_path = ""
output_dir = "reports/_scratch"

# %%
# %matplotlib inline
from IPython.display import Markdown, display

from execopt.execution import simulate
from execopt.execution.policies import POLICIES, make_policy
from execopt.reporting import figures, tables
from execopt.reporting.artifacts import note_data, save_figure, save_table, write_finding
from execopt.reporting.present import human
from execopt.studies import day

book, source, path = day.frog_day(data_path, seed)
if path is not None:
    note_data(path, output_dir)
sizes = (5_000,) if fast else (1_000, 5_000, 20_000)
display(
    Markdown(
        f"**Data:** {source}.  \n**Order sizes:** {', '.join(f'{s:,}' for s in sizes)} shares (buy)."
    )
)
results = {
    S: {
        name: simulate(book, make_policy(name, book=book if name == "oracle" else None), S)
        for name in POLICIES
    }
    for S in sizes
}

# %% [markdown]
# ## Comparison table

# %%
table = tables.backtest_table(results)
shown = human(
    table,
    ["S", "policy", "cost", "shortfall_bps", "vs_twap_pct", "vs_vwap_pct", "oracle_capture",
     "fill_rate", "latency_p50_ms", "latency_p99_ms"],
)  # fmt: skip
save_table(table, "backtest", output_dir, shown=shown)
display(
    Markdown(
        "Cost is against each period's mid; the shortfall is against the arrival mid, in basis "
        "points of the order's notional. Savings are against TWAP and VWAP on the same day: a "
        "saving > 0 means cheaper. The oracle sees every future book: an upper bound, not a policy."
    )
)
display(shown)

# %% [markdown]
# ## Cumulative cost through the day

# %%
for S in sizes:
    fig = figures.cumulative_cost(
        {name: r.fills for name, r in results[S].items()},
        f"cumulative cost vs mid, S = {S:,} shares",
    )
    save_figure(fig, f"cumulative_cost_{S}", output_dir)
    display(fig)

# %% [markdown]
# ## Share of the oracle's saving captured

# %%
fig = figures.oracle_capture(table[table["policy"] != "oracle"])
save_figure(fig, "oracle_capture", output_dir)
display(fig)

# %%
t = table[table["S"] == 5_000].set_index("policy")
best = t.drop(index="oracle")["oracle_capture"].idxmax()
write_finding(
    f"On the {'real' if path is not None else 'synthetic'} FROG day, buying 5,000 shares, the best "
    f"non-oracle policy ({best}) captures {100 * t.loc[best, 'oracle_capture']:.0f} % of the "
    f"oracle's saving over TWAP (cost ${t.loc[best, 'cost']:,.0f} vs TWAP ${t.loc['twap', 'cost']:,.0f}, "
    f"oracle ${t.loc['oracle', 'cost']:,.0f}); static optimal captures "
    f"{100 * t.loc['static', 'oracle_capture']:.0f} %.",
    output_dir,
)
