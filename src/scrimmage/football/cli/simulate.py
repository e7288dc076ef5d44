"""``scrimmage simulate``: Monte Carlo games from a play model.

Five modes:

* ``scrimmage simulate [MODEL] --home KC --away BUF --season 2019 [--week 10] [--n 10000]
  [--spread -3.5] [--total 51]``: one matchup, with each team's form for that season (entering
  ``--week``, or after its last game of the season without it). Prints the distribution of home
  and away points, margin and total (mean, SD, quantiles), team-stat quantiles, win/tie/overtime
  probabilities and, given lines, cover and over probabilities.
* ``scrimmage simulate [MODEL] --games test [--n 1000]``: every REG/POST game of the test seasons
  (2018-2019; also ``all``, ``train``, ``val``, a season or a range such as ``2015-2016``), each
  ``--n`` times with its teams' pregame form, and the fidelity table (real beside simulated) with
  the RMSE of the simulated mean margin against the real margins.
* ``scrimmage simulate [MODEL] --home KC --away BUF --season 2019 --from-state 'Q4 2:00, home ball at
  own 25, down 3'``: "what now?" — the matchup rolled forward from an in-game situation (text or
  a JSON object, see :mod:`~scrimmage.football.simulate.situation`) instead of the kickoff: win
  and tie probabilities and the final-score distribution, the situation echoed.
* ``scrimmage simulate [MODEL] --season 2019 --from-week 9 [--n 1000]``: season projections
  (:mod:`~scrimmage.football.simulate.season`): the REG games before the week count with their real
  results, every game from it on is simulated ``--n`` times (form entering the week); per team its
  wins so far, projected final wins (mean, SD, p10/p50/p90) and the season's real final wins.
* ``scrimmage simulate [MODEL] --game 2019091500 --after-play 80``: continue a real game from its
  state after its 80th play (the live projection) beside its real final score.

Progress: a bar (fraction done, ETA) on stderr when it is a terminal, else a line such as ``simulated
12,000 of 50,000 games (24%), 40 s left`` every 10 s (``SCRIMMAGE_PROGRESS_INTERVAL``) and one at
the end; stdout is untouched (``--json`` stays one JSON line). Every number is checked before any
work (``--n`` 1-1,000,000,000, ``--seed`` 0-2^32-1, ``--spread`` -100..100, ``--total`` above 0 up to
200, finite), and a request estimated over ``--max-minutes`` (default 60) is refused with the
estimate (:mod:`~scrimmage.football.simulate.progress`).

``--plot margin.png`` (matchup, ``--from-state`` and ``--after-play``) draws the simulated margin
distribution with the mean and the ``--spread`` marked (:mod:`~scrimmage.football.simulate.plot`;
PNG, PDF or SVG, written atomically).

With ``--rules nfl`` (default) overtime follows the season: a 15-minute period before 2017, 10
minutes from 2017, and with ``--games`` playoff overtime (no ties) for POST games.

``MODEL`` is ``empirical`` (default: the sampler fitted from the ingested tables, cached in the
workdir). A run id or checkpoint names a trained ``nfl-hierarchical`` model: its play head
samples the calls, yards and turnovers, the empirical tables the kicking game and the clock
(:mod:`scrimmage.football.simulate.neural`); another task's checkpoint is refused.

Thin by design: parse, call :mod:`scrimmage.football.simulate.api` (one function per mode, each returning
a dataclass whose ``to_dict()`` is the ``--json`` object), print. Registered as a top-level command by
:mod:`scrimmage.football.plugin`; nothing heavy is imported until the command runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from scrimmage.cli.common import WORKDIR_OPTION, console, emit_json, err_console, user_errors, workdir_from
from scrimmage.errors import ArgumentError
from scrimmage.football.simulate.progress import StderrProgress, check_max_minutes

QUANTILE_KEYS = ("q05", "q10", "q25", "q50", "q75", "q90", "q95")


@user_errors
def simulate(
    ctx: typer.Context,
    model: str = typer.Argument("empirical", metavar="[MODEL]",
                                help="'empirical' (fitted from the ingested tables), or a run id / .ckpt with a play head."),
    model_option: str | None = typer.Option(None, "--model", help="The same as MODEL."),
    home: str | None = typer.Option(None, "--home", help="Home team code, e.g. KC (one the data holds; the error lists them)."),
    away: str | None = typer.Option(None, "--away", help="Away team code, e.g. BUF."),
    season: int | None = typer.Option(None, "--season", help="Season whose team form to use, e.g. 2019 (one the data holds; the error lists them)."),
    week: int | None = typer.Option(None, "--week", help="Regular-season week 1-17: form entering it (default: after the season)."),
    n: int | None = typer.Option(None, "--n", help="Games to simulate (per real game with --games), 1-1,000,000,000 "
                                 "[default: 10000; seasons with --from-week: 1000]; see --max-minutes."),
    spread: float | None = typer.Option(None, "--spread", help="Home spread, negative when home is favoured (e.g. -3.5); "
                                        "finite, -100 to 100."),
    total: float | None = typer.Option(None, "--total", help="Total-points line (e.g. 51); finite, above 0 and at most 200."),
    games: str | None = typer.Option(None, "--games", help="Simulate every game of: test, val, train, all, 2019 or 2015-2016."),
    from_state: str | None = typer.Option(None, "--from-state", help="Simulate the matchup from an in-game situation, e.g. "
                                          "'Q4 2:00, home ball at own 25, down 3' (or a JSON object); quarter Q1-Q4 or "
                                          "OT, clock 0:00-15:00, down 1-4, distance 1-99, yard line own 1-50 / opp 1-50 "
                                          "(JSON: 1-99), scores 0-200."),
    from_week: int | None = typer.Option(None, "--from-week", help="With --season: project the season, real results before "
                                         "this week (1-17), the rest simulated."),
    game: str | None = typer.Option(None, "--game", help="A real game id (e.g. 2019091500) to continue; with --after-play."),
    after_play: int | None = typer.Option(None, "--after-play", help="With --game: continue from the state after this many "
                                          "plays (0 to the game's plays - 1; 0 = from the kickoff)."),
    plot: Path | None = typer.Option(None, "--plot", help="Draw the simulated margin distribution to this .png/.pdf/.svg "
                                     "file (its folder must exist and be writable; checked before simulating)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the random generator, 0 to 4294967295 (2^32 - 1)."),
    max_minutes: float = typer.Option(60.0, "--max-minutes", help="Refuse a request estimated (from the documented "
                                      "games/s: 5,000 empirical, 500 with a play head, x10 on cuda) to take longer "
                                      "than this many minutes; 0 = no limit."),
    rules: str = typer.Option("nfl", "--rules", help="Rule set: nfl or ncaa."),
    device: str = typer.Option("cpu", "--device", help="cpu or cuda."),
    json_out: bool = typer.Option(False, "--json", help="Print the result as one JSON object on the last stdout line."),
    workdir: Path | None = WORKDIR_OPTION,
) -> None:
    """Monte Carlo games: a matchup's score distribution (from kickoff or any situation), a real game
    continued, a season projected, or real against simulated on a set of games."""
    from scrimmage.football.simulate import api

    root = workdir_from(ctx, workdir)
    out = err_console if json_out else console
    if model_option is not None and model not in ("empirical", model_option):
        raise ArgumentError(f"MODEL '{model}' and --model '{model_option}' disagree; give one of them")
    chosen = model_option or model
    n = n if n is not None else (1000 if from_week is not None else 10000)
    api.check_n(n)
    api.check_seed(seed)
    api.check_lines(spread, total)
    check_max_minutes(max_minutes)
    mode = _mode(home, away, season, week, games, spread, total, from_state, from_week, game, after_play, plot)
    api.check_rules(rules)
    dev = api.check_device(device)
    plot_path = _plot_path(plot)
    if mode == "games":
        api.game_set(games)
    with StderrProgress() as progress:
        common = {"workdir": root, "n": n, "seed": seed, "rules": rules, "device": dev, "progress": progress,
                  "max_minutes": max_minutes}
        if mode == "games":
            result = api.fidelity(games, sampler=chosen, **common)
        elif mode == "season":
            result = api.season(season, from_week, sampler=chosen, **common)
        elif mode == "game":
            result = api.after_play(game, after_play, sampler=chosen, spread=spread, total=total, **common)
        elif mode == "from_state":
            result = api.from_state(home, away, season, from_state, week, sampler=chosen, spread=spread, total=total,
                                    **common)
        else:
            result = api.matchup(home, away, season, week, sampler=chosen, spread=spread, total=total, **common)
    if mode == "games":
        _print_fidelity(out, result, dev, json_out)
    elif mode == "season":
        _print_season(out, result, dev, json_out)
    elif mode == "game":
        _print_after_play(out, result, after_play, dev, json_out, plot_path)
    elif mode == "from_state":
        title = f"{result.home} (home) vs {result.away}, {season} form {result.info['form']}"
        _print_situation(out, result, title, dev, json_out, plot_path, spread)
    else:
        _print_matchup_result(out, result, dev, json_out, plot_path, spread)


def _mode(home: str | None, away: str | None, season: int | None, week: int | None, games: str | None,
          spread: float | None, total: float | None, from_state: str | None, from_week: int | None, game: str | None,
          after_play: int | None, plot: Path | None) -> str:
    """Which mode the options ask for (games, season, game, from_state or matchup); a clash is an ArgumentError."""
    matchup_flags = {"--home": home, "--away": away, "--season": season, "--week": week}
    if after_play is not None and game is None:
        raise ArgumentError("--after-play needs --game: the real game to continue (e.g. --game 2019091500 --after-play 80)")
    if game is not None:
        clash = [flag for flag, value in {**matchup_flags, "--games": games, "--from-state": from_state,
                                          "--from-week": from_week}.items() if value is not None]
        if clash:
            raise ArgumentError(f"--game continues a real game (its teams, season and state come from the data); "
                                f"leave out {'/'.join(clash)}")
        if after_play is None:
            raise ArgumentError(f"--game {game} needs --after-play N: continue after its N-th play (0 = from the kickoff)")
        return "game"
    if from_week is not None:
        clash = [flag for flag, value in {"--home": home, "--away": away, "--week": week, "--games": games,
                                          "--from-state": from_state, "--spread": spread, "--total": total,
                                          "--plot": plot}.items() if value is not None]
        if clash:
            raise ArgumentError(f"--from-week projects a whole season (every team); leave out {'/'.join(clash)}")
        if season is None:
            raise ArgumentError(f"--from-week {from_week} needs --season: the season to project (e.g. --season 2019 "
                                f"--from-week {from_week})")
        if not 1 <= from_week <= 17:
            raise ArgumentError(f"--from-week must be a regular-season week 1-17, got {from_week}")
        return "season"
    if games is not None:
        if home is not None or away is not None or season is not None or week is not None:
            raise ArgumentError("--games simulates a whole set of real games; leave out --home/--away/--season/--week")
        if spread is not None or total is not None:
            raise ArgumentError("--spread/--total are lines of one matchup; leave them out with --games")
        if from_state is not None:
            raise ArgumentError("--from-state is a situation of one matchup; leave it out with --games")
        if plot is not None:
            raise ArgumentError("--plot draws one matchup's margins; leave it out with --games")
        return "games"
    if from_state is not None and (home is None or away is None or season is None):
        raise ArgumentError("--from-state needs the matchup and the season of the teams' form: --home KC --away BUF "
                            "--season 2019 --from-state '...'")
    if home is None or away is None:
        raise ArgumentError("say what to simulate: --home KC --away BUF --season 2019 [--week 10] [--from-state ...], "
                            "--season 2019 --from-week 9, --game 2019091500 --after-play 80, or --games test")
    if season is None:
        raise ArgumentError("--season is needed: the teams' form comes from that season (e.g. --season 2019)")
    if week is not None and not 1 <= week <= 17:
        raise ArgumentError(f"--week must be a regular-season week 1-17, got {week}")
    return "from_state" if from_state is not None else "matchup"


def _plot_path(plot: Path | None) -> Path | None:
    """``--plot``, checked before anything is simulated."""
    if plot is None:
        return None
    from scrimmage.football.simulate.plot import check_plot_path

    return check_plot_path(plot)


# --------------------------------------------------------------------------- printing

def _draw(out: Any, plot: Path, result: Any, home: str, away: str, spread: float | None, real_margin: float | None,
          title: str) -> str:
    from scrimmage.football.simulate.plot import plot_margin

    path = plot_margin(plot, result.margin.numpy(), home=home, away=away, title=title, spread=spread,
                       real_margin=real_margin)
    out.print(f"margin distribution drawn to {path}", highlight=False)
    return str(path)


def _print_matchup_result(out: Any, r: Any, dev: Any, json_out: bool, plot: Path | None, spread: float | None) -> None:
    title = (f"{r.home} (home) vs {r.away}: {r.n:,} simulated games, {r.season} form {r.form}; "
             f"{r.model} sampler, {r.rules.upper()} rules, seed {r.seed}")
    _print_matchup(out, title, r.summary, r.home, r.away)
    out.print(f"simulated in {r.seconds:.2f} s ({r.games_per_second:,.0f} games/s on {dev})")
    real = r.real_game
    if real:
        out.print(f"real game {real['game_id']} (week {real['week']}): {r.home} {real['home_score']} - "
                  f"{r.away} {real['away_score']}", highlight=False)
    if r.summary["unfinished"]:
        out.print(f"[bold yellow]warning:[/] {r.summary['unfinished']} games hit the step limit unfinished")
    payload = r.to_dict()
    if plot is not None:
        real_margin = real["home_score"] - real["away_score"] if real else None
        payload["plot"] = _draw(out, plot, r.result, r.home, r.away, spread, real_margin,
                                f"{r.home} (home) vs {r.away}, {r.season} form {r.form}: {r.n:,} simulated games")
    if json_out:
        emit_json(payload)


def _print_matchup(out: Any, title: str, s: dict[str, Any], home: str, away: str) -> None:
    table = Table(title=title, title_justify="left")
    for column in ("", "mean", "SD", *(k.replace("q", "p") for k in QUANTILE_KEYS)):
        table.add_column(column, justify="right" if column else "left")
    for key, label in (("home_points", f"{home} points"), ("away_points", f"{away} points"),
                       ("margin", f"margin ({home} - {away})"), ("total", "total")):
        d = s[key]
        # points are whole numbers: an interpolated quantile (32.05) prints as the whole points it stands for
        table.add_row(label, f"{d['mean']:.1f}", f"{d['sd']:.1f}", *(f"{d[k]:.0f}" for k in QUANTILE_KEYS))
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
        cells = [f"{d['q10']:.0f} / {d['q50']:.0f} / {d['q90']:.0f}" for d in (s["team_stats"]["home"][name], s["team_stats"]["away"][name])]
        stats.add_row(name.replace("_", " "), *cells)
    out.print(stats)


def _print_after_play(out: Any, r: Any, after: int, dev: Any, json_out: bool, plot: Path | None) -> None:
    info = r.info
    if after == 0:
        out.print(f"state: before the opening kickoff (play 1 of {info['plays']})", highlight=False)
    else:
        out.print(f"after play {after} of {info['plays']}: {info['last_play']}", highlight=False)
    nxt = info["next_play"]
    skipped = f" ({info['skipped']} play(s) without a down skipped)" if info["skipped"] else ""
    out.print(f"next (play {nxt['number']}, {nxt['play_type']}){skipped}: {nxt['desc']}", highlight=False)
    if r.snaps_primed is not None:
        out.print(f"history: the model's encoder reads the game's {r.snaps_primed} real snaps so far", highlight=False)
    title = (f"{r.home} (home) vs {r.away}, game {info['game_id']} ({info['season']} {info['season_type']} "
             f"week {info['week']}) after play {after} of {info['plays']}")
    _print_situation(out, r, title, dev, json_out, plot, None)


def _print_situation(out: Any, r: Any, title: str, dev: Any, json_out: bool, plot: Path | None,
                     spread: float | None) -> None:
    """The distribution of ``n`` copies of a situation rolled forward (beside the real final score)."""
    described = r.situation["description"]
    out.print(f"situation: {described}" + (f" ({r.note})" if r.note else ""), highlight=False)
    _print_matchup(out, f"{title}: {r.n:,} simulated games; {r.model} sampler, {r.rules.upper()} rules, seed {r.seed}",
                   r.summary, r.home, r.away)
    out.print("(points include the score at the situation; team stats count from the situation on)", highlight=False)
    out.print(f"simulated in {r.seconds:.2f} s ({r.games_per_second:,.0f} games/s on {dev})")
    summary, real = r.summary, r.real
    if real is not None:
        margin = r.real_margin
        won = r.home if margin > 0 else r.away if margin < 0 else None
        chance = summary["home_win"] if margin > 0 else summary["away_win"] if margin < 0 else summary["tie"]
        what = f"{won} won" if won else "a tie"
        out.print(f"real final: {r.home} {real['home_score']} - {r.away} {real['away_score']} ({what}; the simulation "
                  f"gave that {chance:.1%}; real margin {margin:+d} at simulated p{r.real_percentile():.0f})",
                  highlight=False)
    if summary["unfinished"]:
        out.print(f"[bold yellow]warning:[/] {summary['unfinished']} games hit the step limit unfinished")
    payload = r.to_dict()
    if plot is not None:
        payload["plot"] = _draw(out, plot, r.result, r.home, r.away, spread, r.real_margin,
                                f"{title}: {r.n:,} simulated games\nfrom {described}")
    if json_out:
        emit_json(payload)


def _print_fidelity(out: Any, r: Any, dev: Any, json_out: bool) -> None:
    from scrimmage.football.simulate.fidelity import ROWS

    report, (first, last) = r.report, r.seasons
    out.print(f"fidelity: {r.n_games:,} real games ({first}-{last}, REG+POST) beside {r.n:,} simulations "
              f"each; {r.model} sampler, {r.rules.upper()} rules", highlight=False)
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
    out.print(f"simulated {r.n_games * r.n:,} games in {report.seconds:.1f} s ({report.games_per_second:,.0f} games/s on {dev})")
    if json_out:
        emit_json(r.to_dict())


def _print_season(out: Any, r: Any, dev: Any, json_out: bool) -> None:
    for note in r.notes:
        out.print(f"note: {note}", highlight=False)
    table = Table(title=(f"{r.season} season projected from week {r.from_week}: {r.games_played} games played (real "
                         f"results), {r.games_simulated} simulated x {r.n:,}; {r.model} sampler, {r.rules.upper()} rules, "
                         f"seed {r.seed}"), title_justify="left")
    for column in ("team", "W so far", "left", "mean W", "SD", "p10", "p50", "p90", "real final W"):
        table.add_column(column, justify="left" if column == "team" else "right")
    for t in r.teams:
        table.add_row(t["team"], f"{t['wins_so_far']:g}", str(t["remaining"]), f"{t['mean']:.2f}", f"{t['sd']:.2f}",
                      f"{t['p10']:.1f}", f"{t['p50']:.1f}", f"{t['p90']:.1f}", f"{t['real_final_wins']:g}")  # wins: one decimal
    out.print(table)
    line = f"mean absolute error of projected wins against the real final wins: {r.mean_abs_error:.2f}"
    if r.mean_abs_error_pace is not None:
        line += f" (keeping each team's win rate so far: {r.mean_abs_error_pace:.2f})"
    out.print(line, highlight=False)
    out.print(f"simulated {r.games_simulated * r.n:,} games in {r.seconds:.1f} s ({r.games_per_second:,.0f} "
              f"games/s on {dev})")
    if json_out:
        emit_json(r.to_dict())
