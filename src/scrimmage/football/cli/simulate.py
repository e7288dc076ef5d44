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

``--plot margin.png`` (matchup, ``--from-state`` and ``--after-play``) draws the simulated margin
distribution with the mean and the ``--spread`` marked (:mod:`~scrimmage.football.simulate.plot`;
PNG, PDF or SVG, written atomically).

With ``--rules nfl`` (default) overtime follows the season: a 15-minute period before 2017, 10
minutes from 2017, and with ``--games`` playoff overtime (no ties) for POST games.

``MODEL`` is ``empirical`` (default: the sampler fitted from the ingested tables, cached in the
workdir). A run id or checkpoint names a trained ``nfl-hierarchical`` model: its play head
samples the calls, yards and turnovers, the empirical tables the kicking game and the clock
(:mod:`scrimmage.football.simulate.neural`); another task's checkpoint is refused.

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
    n: int | None = typer.Option(None, "--n", help="Games to simulate (per real game with --games) [default: 10000; "
                                 "seasons with --from-week: 1000]."),
    spread: float | None = typer.Option(None, "--spread", help="Home spread, negative when home is favoured (e.g. -3.5)."),
    total: float | None = typer.Option(None, "--total", help="Total-points line (e.g. 51)."),
    games: str | None = typer.Option(None, "--games", help="Simulate every game of: test, val, train, all, 2019 or 2015-2016."),
    from_state: str | None = typer.Option(None, "--from-state", help="Simulate the matchup from an in-game situation, e.g. "
                                          "'Q4 2:00, home ball at own 25, down 3' (or a JSON object)."),
    from_week: int | None = typer.Option(None, "--from-week", help="With --season: project the season, real results before "
                                         "this week (1-17), the rest simulated."),
    game: str | None = typer.Option(None, "--game", help="A real game id (e.g. 2019091500) to continue; with --after-play."),
    after_play: int | None = typer.Option(None, "--after-play", help="With --game: continue from the state after this many plays."),
    plot: Path | None = typer.Option(None, "--plot", help="Draw the simulated margin distribution to this .png/.pdf/.svg file."),
    seed: int = typer.Option(0, "--seed", help="Seed of the random generator."),
    rules: str = typer.Option("nfl", "--rules", help="Rule set: nfl or ncaa."),
    device: str = typer.Option("cpu", "--device", help="cpu or cuda."),
    json_out: bool = typer.Option(False, "--json", help="Print the result as one JSON object on the last stdout line."),
    workdir: Path | None = WORKDIR_OPTION,
) -> None:
    """Monte Carlo games: a matchup's score distribution (from kickoff or any situation), a real game
    continued, a season projected, or real against simulated on a set of games."""
    root = workdir_from(ctx, workdir)
    out = err_console if json_out else console
    if model_option is not None and model not in ("empirical", model_option):
        raise ArgumentError(f"MODEL '{model}' and --model '{model_option}' disagree; give one of them")
    chosen = model_option or model
    n = n if n is not None else (1000 if from_week is not None else 10000)
    if n < 1:
        raise ArgumentError(f"--n must be at least 1, got {n}")
    mode = _mode(home, away, season, week, games, spread, total, from_state, from_week, game, after_play, plot)
    rule_set = _rules(rules)
    dev = _device(device)
    plot_path = _plot_path(plot)
    seasons = _game_set(games) if mode == "games" else None
    sampler, cached = _sampler(chosen, root)
    if mode == "games":
        _fidelity(out, sampler, cached, chosen, rule_set, seasons, games, n, seed, dev, root, json_out)
    elif mode == "season":
        _season(out, sampler, cached, chosen, rule_set, season, from_week, n, seed, dev, root, json_out)
    elif mode == "game":
        _after_play(out, sampler, cached, chosen, rule_set, game, after_play, n, spread, total, seed, dev, root,
                    json_out, plot_path)
    elif mode == "from_state":
        _from_state(out, sampler, cached, chosen, rule_set, home, away, season, week, from_state, n, spread, total,
                    seed, dev, root, json_out, plot_path)
    else:
        _matchup(out, sampler, cached, chosen, rule_set, home, away, season, week, n, spread, total, seed, dev, root,
                 json_out, plot_path)


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
        from scrimmage.football.simulate.empirical.cache import load_or_fit

        return load_or_fit(workdir)
    from scrimmage.export.checkpoint import resolve_model_checkpoint
    from scrimmage.football.simulate.neural import load_neural_sampler

    path = resolve_model_checkpoint(model, workdir)  # a missing run or file is a CheckpointError
    return load_neural_sampler(path, workdir), False


def _team(code: str, sampler: Any, flag: str) -> str:
    from scrimmage.football.common.teams import canonical_team

    team = canonical_team(code)
    if team not in sampler.teams:
        raise ArgumentError(f"{flag} {code}: unknown team; valid codes: {', '.join(sampler.teams)}")
    return team


def _seasons_held(workdir: Path) -> list[int]:
    from scrimmage.football.nfl.ingest import load_nfl_table

    games = load_nfl_table(workdir, "games")
    return sorted(int(s) for s in games["season"].unique())


def _span(seasons: list[int]) -> str:
    return f"{seasons[0]}-{seasons[-1]}" if seasons else "none"


# --------------------------------------------------------------------------- one matchup

def _matchup(out: Any, sampler: Any, cached: bool, model: str, rule_set: Any, home: str, away: str, season: int,
             week: int | None, n: int, spread: float | None, total: float | None, seed: int, dev: Any, workdir: Path,
             json_out: bool, plot: Path | None = None) -> None:
    from scrimmage.football.nfl.ingest import load_nfl_table
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
        "offense_shift": context["offense_shift"][0].tolist() if context and "offense_shift" in context else None,
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
    if plot is not None:
        real_margin = real["home_score"] - real["away_score"] if real else None
        payload["plot"] = _draw(out, plot, result, home_team, away_team, spread, real_margin,
                                f"{home_team} (home) vs {away_team}, {season} form {form}: {n:,} simulated games")
    if json_out:
        emit_json(payload)


def _draw(out: Any, plot: Path, result: Any, home: str, away: str, spread: float | None, real_margin: float | None,
          title: str) -> str:
    from scrimmage.football.simulate.plot import plot_margin

    path = plot_margin(plot, result.margin.numpy(), home=home, away=away, title=title, spread=spread,
                       real_margin=real_margin)
    out.print(f"margin distribution drawn to {path}", highlight=False)
    return str(path)


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


# --------------------------------------------------------------------------- from a situation

def _nfl_rules(rule_set: Any, season: int, postseason: bool = False) -> Any:
    """NFL: that season's overtime (its playoffs' with ``postseason``); another rule set as given."""
    if rule_set.name != "nfl":
        return rule_set
    from scrimmage.football.simulate.rules import NFLRules

    return NFLRules.for_season(season, postseason)


def _from_state(out: Any, sampler: Any, cached: bool, model: str, rule_set: Any, home: str, away: str, season: int,
                week: int | None, text: str, n: int, spread: float | None, total: float | None, seed: int, dev: Any,
                workdir: Path, json_out: bool, plot: Path | None) -> None:
    from scrimmage.football.simulate.situation import parse_situation

    home_team, away_team = _team(home, sampler, "--home"), _team(away, sampler, "--away")
    if home_team == away_team:
        raise ArgumentError(f"--home and --away are the same team ({home_team})")
    situation = parse_situation(text, home_team, away_team)
    held = _seasons_held(workdir)
    if season not in held:
        raise ArgumentError(f"--season {season} is not in the data; seasons available: {_span(held)}")
    rule_set = _nfl_rules(rule_set, season)
    if situation.quarter >= 5:
        if rule_set.name != "nfl":
            raise ArgumentError(f"--from-state: {rule_set.name.upper()} overtime has no game clock; an overtime "
                                "situation works with --rules nfl")
        if situation.clock > rule_set.ot_seconds:
            raise ArgumentError(f"--from-state: overtime clock {situation.clock // 60}:{situation.clock % 60:02d} is "
                                f"longer than the {season} overtime period ({rule_set.ot_seconds // 60}:00)")
    context = sampler.matchup_context([home_team], [away_team], season=season, week=week) \
        if hasattr(sampler, "matchup_context") else None
    form = "after its last game of the season" if week is None else f"entering week {week}"
    info = {"season": season, "week": week, "form": form, "from_state": text}
    title = f"{home_team} (home) vs {away_team}, {season} form {form}"
    _continue(out, sampler, cached, model, rule_set, home_team, away_team, situation, context, info, title, n, spread,
              total, seed, dev, json_out, plot, real=None)


def _after_play(out: Any, sampler: Any, cached: bool, model: str, rule_set: Any, game_id: str, after: int, n: int,
                spread: float | None, total: float | None, seed: int, dev: Any, workdir: Path, json_out: bool,
                plot: Path | None) -> None:
    from scrimmage.football.nfl.ingest import load_nfl_table
    from scrimmage.football.simulate.situation import situation_after_play

    games = load_nfl_table(workdir, "games")
    situation, info = situation_after_play(load_nfl_table(workdir, "plays"), games, game_id, after)
    home_team, away_team = _team(info["home"], sampler, "--game home team"), _team(info["away"], sampler, "--game away team")
    rule_set = _nfl_rules(rule_set, info["season"], info["season_type"] == "POST")
    if situation.quarter >= 5 and rule_set.name != "nfl":
        raise ArgumentError(f"--after-play {after}: the state is in overtime, and {rule_set.name.upper()} overtime has "
                            "no game clock; use --rules nfl")
    context = sampler.matchup_context([home_team], [away_team], game_ids=[info["game_id"]]) \
        if hasattr(sampler, "matchup_context") else None
    title = (f"{home_team} (home) vs {away_team}, game {info['game_id']} ({info['season']} {info['season_type']} "
             f"week {info['week']}) after play {after} of {info['plays']}")
    if after == 0:
        out.print(f"state: before the opening kickoff (play 1 of {info['plays']})", highlight=False)
    else:
        out.print(f"after play {after} of {info['plays']}: {info['last_play']}", highlight=False)
    nxt = info["next_play"]
    skipped = f" ({info['skipped']} play(s) without a down skipped)" if info["skipped"] else ""
    out.print(f"next (play {nxt['number']}, {nxt['play_type']}){skipped}: {nxt['desc']}", highlight=False)
    prime = getattr(sampler, "prime_with_game", None)  # a play-head model reads the real snaps so far
    if prime is not None:
        snaps = prime(info["game_id"], after, workdir)
        out.print(f"history: the model's encoder reads the game's {snaps} real snaps so far", highlight=False)
    try:
        _continue(out, sampler, cached, model, rule_set, home_team, away_team, situation, context,
                  {**info, "form": "entering the game"}, title, n, spread, total, seed, dev, json_out, plot,
                  real=info["real_final"])
    finally:
        if prime is not None:
            sampler.clear_history()


def _continue(out: Any, sampler: Any, cached: bool, model: str, rule_set: Any, home: str, away: str, situation: Any,
              context: Any, info: dict[str, Any], title: str, n: int, spread: float | None, total: float | None,
              seed: int, dev: Any, json_out: bool, plot: Path | None, real: dict[str, int] | None) -> None:
    """Roll ``n`` copies of ``situation`` forward, print the distribution (beside the real final score)."""
    from scrimmage.football.simulate.engine import simulate_situation

    described = situation.describe(home, away)
    result = simulate_situation(sampler, rule_set, home, away, situation.state_kwargs(), n=n, context=context,
                                seed=seed, device=dev)
    summary = result.summary(spread=spread, total_line=total)
    out.print(f"situation: {described}" + (f" ({situation.note})" if situation.note else ""), highlight=False)
    _print_matchup(out, f"{title}: {n:,} simulated games; {model} sampler, {rule_set.name.upper()} rules, seed {seed}",
                   summary, home, away)
    out.print("(points include the score at the situation; team stats count from the situation on)", highlight=False)
    out.print(f"simulated in {result.seconds:.2f} s ({result.games_per_second():,.0f} games/s on {dev})")
    if real is not None:
        margin = real["home_score"] - real["away_score"]
        won = home if margin > 0 else away if margin < 0 else None
        chance = summary["home_win"] if margin > 0 else summary["away_win"] if margin < 0 else summary["tie"]
        what = f"{won} won" if won else "a tie"
        out.print(f"real final: {home} {real['home_score']} - {away} {real['away_score']} ({what}; the simulation "
                  f"gave that {chance:.1%}; real margin {margin:+d} at simulated p{_percentile(result, margin):.0f})",
                  highlight=False)
    if summary["unfinished"]:
        out.print(f"[bold yellow]warning:[/] {summary['unfinished']} games hit the step limit unfinished")
    payload: dict[str, Any] = {
        "model": model, "sampler_cached": cached, "rules": rule_set.name, "home": home, "away": away, **info,
        "n": n, "seed": seed, "device": str(dev), "seconds": round(result.seconds, 3),
        "games_per_second": round(result.games_per_second(), 1),
        "offense_shift": context["offense_shift"][0].tolist() if context and "offense_shift" in context else None,
        "situation": {**situation.to_dict(), "description": described},
        "summary": summary,
    }
    if plot is not None:
        payload["plot"] = _draw(out, plot, result, home, away, spread,
                                None if real is None else real["home_score"] - real["away_score"],
                                f"{title}: {n:,} simulated games\nfrom {described}")
    if json_out:
        emit_json(payload)


def _percentile(result: Any, margin: int) -> float:
    """Where a real margin falls among the simulated ones (mid-rank percentile, ties split)."""
    sims = result.margin
    return float(((sims < margin).double().mean() + 0.5 * (sims == margin).double().mean()) * 100)


# --------------------------------------------------------------------------- every game of a set

def _fidelity(out: Any, sampler: Any, cached: bool, model: str, rule_set: Any, seasons: tuple[int, int], label: str,
              n: int, seed: int, dev: Any, workdir: Path, json_out: bool) -> None:
    from rich.progress import Progress, TextColumn, TimeElapsedColumn

    from scrimmage.football.nfl.ingest import load_nfl_table
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


# --------------------------------------------------------------------------- a season projected

#: Simulated games per engine call in a season projection (memory); more simulations run in chunks.
SEASON_BATCH = 200_000


def _season(out: Any, sampler: Any, cached: bool, model: str, rule_set: Any, season: int, from_week: int, n: int,
            seed: int, dev: Any, workdir: Path, json_out: bool) -> None:
    import numpy as np

    from scrimmage.football.nfl.ingest import load_nfl_table
    from scrimmage.football.simulate.engine import simulate as run_simulation
    from scrimmage.football.simulate.season import project_season, split_season

    games = load_nfl_table(workdir, "games")
    held = sorted(int(s) for s in games.loc[games["season_type"] == "REG", "season"].unique())
    if season not in held:
        raise ArgumentError(f"--season {season} is not in the data; seasons with regular-season games: {_span(held)}")
    played, remaining = split_season(games, season, from_week)
    if remaining.empty:
        last = int(played["week"].max())
        raise ArgumentError(f"--from-week {from_week}: the {season} regular season has no games from week {from_week} "
                            f"(its last week is {last}); give 1-{last}")
    home, away = remaining["home_team"].astype(str).tolist(), remaining["away_team"].astype(str).tolist()
    for code in sorted(set(home) | set(away)):
        _team(code, sampler, f"season {season} team")
    # every remaining game with its teams' form entering --from-week: nothing from the weeks projected
    if getattr(sampler, "conditions_on_real_games", False):
        # a play-head model reads each real game's own pregame features (form up to that game's week)
        context = sampler.matchup_context(home, away, game_ids=remaining["game_id"].astype(str).tolist())
        out.print("note: the model's pregame features of a later game include results after --from-week", highlight=False)
    else:
        context = sampler.matchup_context(home, away, season=season, week=from_week) \
            if hasattr(sampler, "matchup_context") else None
    rules = _nfl_rules(rule_set, season)
    per_call = max(1, min(n, SEASON_BATCH // len(home)))
    margins, seconds = [], 0.0
    for k, lo in enumerate(range(0, n, per_call)):  # all remaining games in one batch per chunk of simulations
        result = run_simulation(sampler, rules, home, away, n=min(per_call, n - lo), device=dev, context=context,
                                seed=seed + k)
        margins.append(result.margin.numpy().reshape(len(home), -1))  # games are ordered matchup by matchup
        seconds += result.seconds
    margin = np.concatenate(margins, axis=1)
    real_margin = (remaining["home_score"] - remaining["away_score"]).to_numpy(np.float64)
    teams = project_season(played, home, away, margin, real_remaining_margin=real_margin)
    error = float(np.mean([abs(t["mean"] - t["real_final_wins"]) for t in teams]))
    pace = None
    if all(t["played"] > 0 for t in teams):  # baseline: each team keeps its win rate so far
        pace = float(np.mean([abs(t["wins_so_far"] + t["remaining"] * t["wins_so_far"] / t["played"]
                                  - t["real_final_wins"]) for t in teams]))

    table = Table(title=(f"{season} season projected from week {from_week}: {len(played)} games played (real results), "
                         f"{len(remaining)} simulated x {n:,}; {model} sampler, {rules.name.upper()} rules, seed {seed}"),
                  title_justify="left")
    for column in ("team", "W so far", "left", "mean W", "SD", "p10", "p50", "p90", "real final W"):
        table.add_column(column, justify="left" if column == "team" else "right")
    for t in teams:
        table.add_row(t["team"], f"{t['wins_so_far']:g}", str(t["remaining"]), f"{t['mean']:.2f}", f"{t['sd']:.2f}",
                      f"{t['p10']:g}", f"{t['p50']:g}", f"{t['p90']:g}", f"{t['real_final_wins']:g}")
    out.print(table)
    line = f"mean absolute error of projected wins against the real final wins: {error:.2f}"
    if pace is not None:
        line += f" (keeping each team's win rate so far: {pace:.2f})"
    out.print(line, highlight=False)
    out.print(f"simulated {len(remaining) * n:,} games in {seconds:.1f} s ({len(remaining) * n / max(seconds, 1e-9):,.0f} "
              f"games/s on {dev})")
    if json_out:
        emit_json({"model": model, "sampler_cached": cached, "rules": rules.name, "season": season,
                   "from_week": from_week, "n": n, "seed": seed, "device": str(dev), "games_played": len(played),
                   "games_simulated": len(remaining), "form": f"entering week {from_week}",
                   "mean_abs_error": error, "mean_abs_error_pace": pace, "seconds": round(seconds, 3), "teams": teams})
