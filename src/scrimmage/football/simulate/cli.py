"""``scrimmage simulate``: Monte Carlo games from a play model.

Two modes:

* ``scrimmage simulate [MODEL] --home KC --away BUF --season 2019 [--week 10] [--n 10000]
  [--spread -3.5] [--total 51]``: one matchup, with each team's form for that season (entering
  ``--week``, or after its last game of the season without it). Prints the distribution of home
  and away points, margin and total (mean, SD, quantiles), team-stat quantiles, win/tie/overtime
  probabilities and, given lines, cover and over probabilities.
* ``scrimmage simulate [MODEL] --games test [--n 1000]``: every REG/POST game of the test seasons
  (2018-2019; also ``all``, ``train``, ``val``, a season or a range such as ``2015-2016``), each
  ``--n`` times with its teams' pregame form, and the fidelity table (real beside simulated) with
  the RMSE of the simulated mean margin against the real margins.

With ``--rules nfl`` (default) overtime follows the season: a 15-minute period before 2017, 10
minutes from 2017, and with ``--games`` playoff overtime (no ties) for POST games.

``MODEL`` is ``empirical`` (default: the sampler fitted from the ingested tables, cached in the
workdir). A run id or checkpoint names a trained model; none has a play head yet, so one is
refused with a message saying so (the hierarchical model's play head will load here as a
:class:`~scrimmage.football.simulate.sampler.PlaySampler`).

Thin by design: parse, call :mod:`scrimmage.football.simulate`, print. Registered as a top-level
command by :mod:`scrimmage.football.plugin`; nothing heavy is imported until the command runs.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from scrimmage.cli.common import WORKDIR_OPTION, console, emit_json, err_console, user_errors, workdir_from
from scrimmage.errors import ArgumentError

GAME_SETS = {"test": (2018, 2019), "val": (2017, 2017), "train": (2009, 2016), "all": (2009, 2019)}
QUANTILE_KEYS = ("q05", "q10", "q25", "q50", "q75", "q90", "q95")


@user_errors
def simulate(
    ctx: typer.Context,
    model: str = typer.Argument("empirical", metavar="[MODEL]",
                                help="'empirical' (fitted from the ingested tables), or a run id / .ckpt with a play head."),
    model_option: str | None = typer.Option(None, "--model", help="The same as MODEL."),
    home: str | None = typer.Option(None, "--home", help="Home team code, e.g. KC."),
    away: str | None = typer.Option(None, "--away", help="Away team code, e.g. BUF."),
    season: int | None = typer.Option(None, "--season", help="Season whose team form to use, e.g. 2019."),
    week: int | None = typer.Option(None, "--week", help="Regular-season week: form entering it (default: after the season)."),
    n: int = typer.Option(10000, "--n", help="Games to simulate (per real game with --games)."),
    spread: float | None = typer.Option(None, "--spread", help="Home spread, negative when home is favoured (e.g. -3.5)."),
    total: float | None = typer.Option(None, "--total", help="Total-points line (e.g. 51)."),
    games: str | None = typer.Option(None, "--games", help="Simulate every game of: test, val, train, all, 2019 or 2015-2016."),
    seed: int = typer.Option(0, "--seed", help="Seed of the random generator."),
    rules: str = typer.Option("nfl", "--rules", help="Rule set: nfl or ncaa."),
    device: str = typer.Option("cpu", "--device", help="cpu or cuda."),
    json_out: bool = typer.Option(False, "--json", help="Print the result as one JSON object on the last stdout line."),
    workdir: Path | None = WORKDIR_OPTION,
) -> None:
    """Monte Carlo games: a matchup's score distribution, or real against simulated on a set of games."""
    root = workdir_from(ctx, workdir)
    out = err_console if json_out else console
    if model_option is not None and model not in ("empirical", model_option):
        raise ArgumentError(f"MODEL '{model}' and --model '{model_option}' disagree; give one of them")
    chosen = model_option or model
    if n < 1:
        raise ArgumentError(f"--n must be at least 1, got {n}")
    rule_set = _rules(rules)
    dev = _device(device)
    if games is not None:
        if home is not None or away is not None or season is not None or week is not None:
            raise ArgumentError("--games simulates a whole set of real games; leave out --home/--away/--season/--week")
        if spread is not None or total is not None:
            raise ArgumentError("--spread/--total are lines of one matchup; leave them out with --games")
        seasons = _game_set(games)
        sampler, cached = _sampler(chosen, root)
        _fidelity(out, sampler, cached, chosen, rule_set, seasons, games, n, seed, dev, root, json_out)
        return
    if home is None or away is None:
        raise ArgumentError("say what to simulate: --home KC --away BUF --season 2019 [--week 10], or --games test")
    if season is None:
        raise ArgumentError("--season is needed: the teams' form comes from that season (e.g. --season 2019)")
    if week is not None and not 1 <= week <= 17:
        raise ArgumentError(f"--week must be a regular-season week 1-17, got {week}")
    sampler, cached = _sampler(chosen, root)
    _matchup(out, sampler, cached, chosen, rule_set, home, away, season, week, n, spread, total, seed, dev, root, json_out)


# --------------------------------------------------------------------------- options

def _rules(name: str) -> Any:
    from scrimmage.football.simulate.rules import RULES, rules_by_name

    if name.lower() not in RULES:
        raise ArgumentError(f"--rules must be one of {', '.join(RULES)}, got '{name}'")
    return rules_by_name(name.lower())


def _device(name: str) -> Any:
    import torch

    try:
        dev = torch.device(name)
    except RuntimeError:
        raise ArgumentError(f"--device must be cpu or cuda, got '{name}'") from None
    if dev.type not in ("cpu", "cuda"):
        raise ArgumentError(f"--device must be cpu or cuda, got '{name}'")
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ArgumentError("--device cuda: no CUDA device is available here; use --device cpu")
    return dev


def _game_set(text: str) -> tuple[int, int]:
    key = text.strip().lower()
    if key in GAME_SETS:
        return GAME_SETS[key]
    match = re.fullmatch(r"(\d{4})(?:-(\d{4}))?", key)
    if not match:
        raise ArgumentError(f"--games must be one of {', '.join(GAME_SETS)}, a season (2019) or a range (2015-2016); got '{text}'")
    first = int(match.group(1))
    last = int(match.group(2) or first)
    if first > last:
        raise ArgumentError(f"--games {text}: the first season comes after the last")
    return first, last


def _sampler(model: str, workdir: Path) -> tuple[Any, bool]:
    """The play sampler MODEL names, and whether it came from the cache."""
    if model == "empirical":
        from scrimmage.football.simulate.empirical import load_or_fit

        return load_or_fit(workdir)
    from scrimmage.export.checkpoint import resolve_model_checkpoint

    path = resolve_model_checkpoint(model, workdir)  # a missing run or file is a CheckpointError
    raise ArgumentError(f"{path}: this checkpoint has no play head; use --model empirical "
                        "(the empirical sampler fitted from the ingested NFL tables)")


def _team(code: str, sampler: Any, flag: str) -> str:
    from scrimmage.football.teams import canonical_team

    team = canonical_team(code)
    if team not in sampler.teams:
        raise ArgumentError(f"{flag} {code}: unknown team; valid codes: {', '.join(sampler.teams)}")
    return team


def _seasons_held(workdir: Path) -> list[int]:
    from scrimmage.football.ingest import load_nfl_table

    games = load_nfl_table(workdir, "games")
    return sorted(int(s) for s in games["season"].unique())


def _span(seasons: list[int]) -> str:
    return f"{seasons[0]}-{seasons[-1]}" if seasons else "none"


# --------------------------------------------------------------------------- one matchup

def _matchup(out: Any, sampler: Any, cached: bool, model: str, rule_set: Any, home: str, away: str, season: int,
             week: int | None, n: int, spread: float | None, total: float | None, seed: int, dev: Any, workdir: Path,
             json_out: bool) -> None:
    from scrimmage.football.ingest import load_nfl_table
    from scrimmage.football.simulate.engine import simulate as run_simulation

    home_team, away_team = _team(home, sampler, "--home"), _team(away, sampler, "--away")
    if home_team == away_team:
        raise ArgumentError(f"--home and --away are the same team ({home_team})")
    held = _seasons_held(workdir)
    if season not in held:
        raise ArgumentError(f"--season {season} is not in the data; seasons available: {_span(held)}")
    context = sampler.matchup_context([home_team], [away_team], season=season, week=week) \
        if hasattr(sampler, "matchup_context") else None
    if rule_set.name == "nfl":  # the overtime of that season's regular season
        from scrimmage.football.simulate.rules import NFLRules

        rule_set = NFLRules.for_season(season)
    result = run_simulation(sampler, rule_set, [home_team], [away_team], n=n, device=dev, context=context, seed=seed)
    summary = result.summary(spread=spread, total_line=total)
    real = _real_game(load_nfl_table(workdir, "games"), home_team, away_team, season, week)
    form = "after its last game of the season" if week is None else f"entering week {week}"
    payload: dict[str, Any] = {
        "model": model, "sampler_cached": cached, "rules": rule_set.name, "home": home_team, "away": away_team,
        "season": season, "week": week, "form": form, "n": n, "seed": seed, "device": str(dev),
        "seconds": round(result.seconds, 3), "games_per_second": round(result.games_per_second(), 1),
        "offense_shift": context["offense_shift"][0].tolist() if context else None,
        "summary": summary, "real_game": real,
    }
    title = (f"{home_team} (home) vs {away_team}: {n:,} simulated games, {season} form {form}; "
             f"{model} sampler, {rule_set.name.upper()} rules, seed {seed}")
    _print_matchup(out, title, summary, home_team, away_team)
    out.print(f"simulated in {result.seconds:.2f} s ({result.games_per_second():,.0f} games/s on {dev})")
    if real:
        out.print(f"real game {real['game_id']} (week {real['week']}): {home_team} {real['home_score']} - "
                  f"{away_team} {real['away_score']}", highlight=False)
    if summary["unfinished"]:
        out.print(f"[bold yellow]warning:[/] {summary['unfinished']} games hit the step limit unfinished")
    if json_out:
        emit_json(payload)


def _real_game(games: Any, home: str, away: str, season: int, week: int | None) -> dict[str, Any] | None:
    rows = games[(games["season"] == season) & (games["home_team"] == home) & (games["away_team"] == away)
                 & games["season_type"].isin(("REG", "POST"))]
    if week is not None:
        rows = rows[(rows["week"] == week) & (rows["season_type"] == "REG")]
    if len(rows) != 1:
        return None
    row = rows.iloc[0]
    return {"game_id": str(row["game_id"]), "week": int(row["week"]), "season_type": str(row["season_type"]),
            "home_score": int(row["home_score"]), "away_score": int(row["away_score"]),
            "spread_home": _float(row.get("spread_home")), "total_line": _float(row.get("total_line"))}


def _float(value: Any) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if value == value else None


def _print_matchup(out: Any, title: str, s: dict[str, Any], home: str, away: str) -> None:
    table = Table(title=title, title_justify="left")
    for column in ("", "mean", "SD", *(k.replace("q", "p") for k in QUANTILE_KEYS)):
        table.add_column(column, justify="right" if column else "left")
    for key, label in (("home_points", f"{home} points"), ("away_points", f"{away} points"),
                       ("margin", f"margin ({home} - {away})"), ("total", "total")):
        d = s[key]
        table.add_row(label, f"{d['mean']:.1f}", f"{d['sd']:.1f}", *(f"{d[k]:g}" for k in QUANTILE_KEYS))
    out.print(table)
    probs = (f"{home} win {s['home_win']:.1%}   {away} win {s['away_win']:.1%}   tie {s['tie']:.2%}   "
             f"overtime {s['overtime']:.1%}")
    out.print(probs, highlight=False)
    if "spread" in s:
        sp = s["spread"]
        out.print(f"spread {home} {sp['line']:+g}: {home} covers {sp['home_cover']:.1%}, push {sp['push']:.1%}, "
                  f"{away} covers {sp['away_cover']:.1%}", highlight=False)
    if "total_line" in s:
        tl = s["total_line"]
        out.print(f"total {tl['line']:g}: over {tl['over']:.1%}, push {tl['push']:.1%}, under {tl['under']:.1%}",
                  highlight=False)
    stats = Table(title="team stats (p10 / p50 / p90)", title_justify="left")
    stats.add_column("")
    for side in (home, away):
        stats.add_column(side, justify="right")
    for name in s["team_stats"]["home"]:
        cells = [f"{d['q10']:g} / {d['q50']:g} / {d['q90']:g}" for d in (s["team_stats"]["home"][name], s["team_stats"]["away"][name])]
        stats.add_row(name.replace("_", " "), *cells)
    out.print(stats)


# --------------------------------------------------------------------------- every game of a set

def _fidelity(out: Any, sampler: Any, cached: bool, model: str, rule_set: Any, seasons: tuple[int, int], label: str,
              n: int, seed: int, dev: Any, workdir: Path, json_out: bool) -> None:
    from rich.progress import Progress, TextColumn, TimeElapsedColumn

    from scrimmage.football.ingest import load_nfl_table
    from scrimmage.football.simulate.fidelity import ROWS, evaluate_games, select_games

    games = load_nfl_table(workdir, "games")
    chosen = select_games(games, seasons)
    if chosen.empty:
        held = sorted(int(s) for s in games["season"].unique())
        raise ArgumentError(f"--games {label}: no REG/POST games in {seasons[0]}-{seasons[1]}; the data holds {_span(held)}")
    drives = load_nfl_table(workdir, "drives")
    with Progress(TextColumn(f"[bold]simulating {len(chosen):,} games x {n:,}"), TimeElapsedColumn(),
                  console=err_console, transient=True) as bar:
        bar.add_task("simulate", total=None)
        # NFL: each game under its own season's overtime (playoff overtime for POST games)
        report = evaluate_games(sampler, chosen, drives, rules=None if rule_set.name == "nfl" else rule_set, n=n,
                                seed=seed, device=dev, label=f"{seasons[0]}-{seasons[1]}")
    out.print(f"fidelity: {len(chosen):,} real games ({seasons[0]}-{seasons[1]}, REG+POST) beside {n:,} simulations "
              f"each; {model} sampler, {rule_set.name.upper()} rules", highlight=False)
    table = Table(title="real against simulated", title_justify="left")
    for column in ("statistic", "real", "simulated"):
        table.add_column(column, justify="left" if column == "statistic" else "right")
    for key, label_text in ROWS.items():
        real, sim = report.rows[key]["real"], report.rows[key]["simulated"]
        if key == "n_games":
            table.add_row(label_text, f"{real:,.0f}", f"{sim:,.0f}")
        elif key.startswith(("margin", "total", "drives_per")):
            table.add_row(label_text, f"{real:.2f}", f"{sim:.2f}")
        else:
            table.add_row(label_text, f"{real:.2%}", f"{sim:.2%}")
    out.print(table)
    rmse = report.rmse
    line = f"RMSE of the simulated mean margin against real margins: {rmse['simulated_mean_margin']:.2f}"
    line += f" (constant home edge {rmse['constant_home_edge']:.2f}"
    if "closing_line" in rmse:
        line += f"; closing line {rmse['closing_line']:.2f}"
    out.print(line + ")", highlight=False)
    out.print(f"simulated {len(chosen) * n:,} games in {report.seconds:.1f} s ({report.games_per_second:,.0f} games/s on {dev})")
    if json_out:
        emit_json({"model": model, "sampler_cached": cached, "rules": rule_set.name, "games": label,
                   "seasons": list(seasons), "n": n, "seed": seed, "device": str(dev), "fidelity": report.to_dict()})
