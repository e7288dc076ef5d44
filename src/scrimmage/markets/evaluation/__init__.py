"""How a market signal is judged: ranking quality with day-block intervals, simple baselines, and a backtest."""
