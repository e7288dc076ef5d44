"""The backtest as a self-contained HTML page (the core's page and plot helpers): equity curves, the table, notes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scrimmage.markets.evaluation.tables import HEADERS, percent, rows_of
from scrimmage.reports import page, plots


def equity_figure(result: Any) -> page.Figure:
    fig, ax = plots.new(9.5, 4.2)
    for i, strategy in enumerate(result.strategies):
        ax.plot(result.grid, strategy.equity, label=strategy.name, color=plots.COLORS[i % len(plots.COLORS)],
                linewidth=1.8 if i == 0 else 1.1)
    ax.axhline(1.0, color="#555", linewidth=0.6)
    ax.set_ylabel("equity (start = 1)")
    ax.legend(fontsize=8)
    return plots.done(fig, "equity curves", "each strategy's capital split equally over the symbols, marked to market hourly, "
                                            "after fees")


def write_backtest_html(result: Any, path: str | Path) -> Path:
    headers, rows = HEADERS, rows_of(result)
    model = result.strategies[0]
    per_symbol = sorted(model.per_symbol.items(), key=lambda item: -item[1]["total_return"])
    symbol_rows = [[name, v["trades"], percent(v["hit_rate"], sign=False), percent(v["mean_trade_return"]),
                    percent(v["total_return"])] for name, v in per_symbol]
    text = page.document(
        f"backtest of {result.run_id or result.checkpoint}",
        f"test period {page.esc(result.start[:16])} to {page.esc(result.end[:16])} · {result.symbols} symbols",
        [
            page.section("result", f"<p><b>{page.esc(result.verdict)}</b></p>" + page.table(headers, rows, highlight="model")
                         + page.notes(result.notes)),
            page.section("equity", page.figures([equity_figure(result)])),
            page.section("the model's trades per symbol",
                         page.table(["symbol", "trades", "hit rate", "mean trade", "total return"], symbol_rows)),
        ],
    )
    return page.write_page(path, text)
