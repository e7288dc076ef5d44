"""The ``nfl-betting`` report: the CQL policy beside the betting strategies it must beat, on the test seasons.

Strategies, each scored by :mod:`scrimmage.football.betting.stats` on the same games (1 unit per bet
unless said): ``random`` (home or away against the spread on every game, a fair coin, seeded: about
-4.5% ROI at -110 in expectation); ``kelly_pregame`` (Kelly stakes from the walk-forward pregame
model's cover probability ``Phi(edge / sigma)``, sigma the spread of its training-season margin
errors; stakes in units of a 100-unit bankroll, not compounded); ``logistic_cover`` (a logistic
regression of "home covers" on the same state as the Q-network, fit on the training games, betting
a side where its probability clears break-even: the baseline CQL must beat); ``cql`` (the greedy
policy of the reported weights); ``cql_ensemble_agree`` (several CQL runs' mean Q, betting only the
games where the members agree most: the members' standard deviation of the chosen bet's advantage
over no bet below its 20% quantile among the validation bets, so the threshold comes from
validation, never the test), with the correlation between that disagreement and the bet's loss.

Members come from ``ensemble_runs`` (run ids or .ckpt files of CQL runs on the same data, e.g. a
few seeds) plus this run, or from an ensemble run's own members (``loop: ensemble``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scrimmage.engine.reports import ReportContext
from scrimmage.engine.tasks.base import Report
from scrimmage.errors import ArgumentError, CheckpointError, ConfigError
from scrimmage.football.betting.dataset import state_features
from scrimmage.football.betting.stats import Strategy, evaluate_strategy
from scrimmage.football.ratings.metrics import normal_cdf

COLUMNS = {"bets": "bets", "win_rate": "win rate", "roi": "ROI", "sharpe": "Sharpe/bet", "max_drawdown": "max DD",
           "p_break_even": "p(>BE)", "q_taken": "mean Q"}
KELLY_BANKROLL = 100.0


def betting_report(ctx: ReportContext, generic: Report, ensemble_runs: list[str], agreement_share: float = 0.2,
                   n_boot: int = 2000, seed: int = 0) -> Report:
    data, split = ctx.data, ctx.split
    payout = float(data.info["payout"])
    break_even = 1.0 / (1.0 + payout)
    frame = data.frames[split].reset_index(drop=True)
    rewards = data.splits[split].column("y").cpu().numpy().astype(np.float64)
    q = ctx.evaluation.predictions.cpu().numpy().astype(np.float64)
    seasons = frame["season"].to_numpy()
    train = data.frames["train"].drop_duplicates("game_id").reset_index(drop=True)
    features = list(data.info["features"])

    strategies = [
        _random(rewards, seed),
        _kelly(frame, train, rewards, payout),
        _logistic(frame, train, features, rewards, break_even),
        _greedy("cql", q, rewards),
    ]
    notes: list[str] = []
    extras: dict[str, Any] = {"break_even": break_even, "payout": payout}
    members = _member_q(ctx, ensemble_runs)
    if len(members) >= 2:
        strategy, info = _agreeing(members, rewards, agreement_share, ctx)
        strategies.append(strategy)
        extras["ensemble"] = info
        notes.append(f"cql_ensemble_agree: {len(members)} members; bets where their "
                     f"disagreement <= {info['threshold']:.4g} (the {agreement_share:.0%} quantile of validation bets); "
                     f"corr(disagreement, loss) on test bets {info['corr_disagreement_loss']:+.3f} "
                     f"(p={info['corr_p']:.3f}, {info['test_bets_all']} bets)")
    else:
        notes.append("cql_ensemble_agree: needs 2+ members: list CQL runs of other seeds in the report's ensemble_runs "
                     "(or train with loop: ensemble)")

    rows = dict(generic.rows)
    results = {}
    for strategy in strategies:
        row = evaluate_strategy(strategy, seasons, break_even, n_boot, seed)
        results[strategy.name] = row
        rows[strategy.name] = {k: row[k] for k in ("win_rate", "roi", "sharpe", "max_drawdown", "p_break_even")}
        rows[strategy.name] = {"bets": int(row["bets"]), **rows[strategy.name]}  # a count, printed as one
        seasons_text = ", ".join(f"{s} {r['roi']:+.1%} ({int(r['bets'])} bets)" for s, r in row["by_season"].items())
        notes.append(f"{strategy.name}: {row['verdict']}; ROI {row['roi']:+.1%} "
                     f"[{row['roi_ci'][0]:+.1%}, {row['roi_ci'][1]:+.1%}]; by season {seasons_text}")
    rows["cql"]["q_taken"] = ctx.evaluation.metrics.get(f"{split}/q_taken", float("nan"))
    notes.append(f"cql: mean predicted Q of the bets {rows['cql']['q_taken']:+.3f} against a realised "
                 f"{results['cql']['roi']:+.3f} per bet (random betting returns about {(payout - 1) / 2:+.3f})")
    notes.append(f"kelly_pregame stakes are Kelly fractions of a {KELLY_BANKROLL:.0f}-unit bankroll (not compounded); "
                 "the other strategies stake 1 unit per bet; drawdowns are in units")
    extras["betting"] = results
    columns = COLUMNS | {k: v for k, v in generic.columns.items() if k not in COLUMNS}  # the betting table first
    return Report(f"{split} seasons, betting at {_american(payout)}", rows, columns, rank_by="roi",
                  lower_is_better=False, notes=[*generic.notes, *notes], extras={**generic.extras, **extras},
                  sections={**generic.sections, "betting": results})


def _american(payout: float) -> str:
    return f"-{100 / payout:.0f}" if payout < 1 else f"+{100 * payout:.0f}"


def _side_rewards(rewards: np.ndarray, side: np.ndarray) -> np.ndarray:
    return rewards[np.arange(len(side)), side]


def _random(rewards: np.ndarray, seed: int) -> Strategy:
    side = np.random.default_rng(seed).integers(1, 3, len(rewards))  # 1 home, 2 away against the spread
    return Strategy("random", np.ones(len(rewards)), _side_rewards(rewards, side))


def _cover_probability(frame: pd.DataFrame, train: pd.DataFrame) -> np.ndarray:
    sigma = float((train["margin"] - train["pred_margin"]).std(ddof=1))
    return normal_cdf((frame["pred_margin"] + frame["spread_home"]).to_numpy(float) / sigma)


def _kelly(frame: pd.DataFrame, train: pd.DataFrame, rewards: np.ndarray, payout: float) -> Strategy:
    p_home = _cover_probability(frame, train)
    f_home = (payout * p_home - (1 - p_home)) / payout  # Kelly fraction b p - q over b for each side
    f_away = (payout * (1 - p_home) - p_home) / payout
    side = np.where(f_home >= f_away, 1, 2)
    fraction = np.clip(np.maximum(f_home, f_away), 0.0, None)
    return Strategy("kelly_pregame", fraction * KELLY_BANKROLL, _side_rewards(rewards, side))


def _logistic(frame: pd.DataFrame, train: pd.DataFrame, features: list[str], rewards: np.ndarray,
              break_even: float) -> Strategy:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    cover = (train["margin"] + train["spread_home"]).to_numpy(float)
    decided = cover != 0  # pushes teach nothing about which side covers
    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000))
    model.fit(state_features(train, features)[decided], cover[decided] > 0)
    p_home = model.predict_proba(state_features(frame, features))[:, 1]
    side = np.where(p_home >= 0.5, 1, 2)
    stake = ((p_home >= break_even) | (p_home <= 1 - break_even)).astype(float)
    return Strategy("logistic_cover", stake, _side_rewards(rewards, side))


def _greedy(name: str, q: np.ndarray, rewards: np.ndarray, null_action: int = 0) -> Strategy:
    chosen = q.argmax(1)
    return Strategy(name, (chosen != null_action).astype(float), _side_rewards(rewards, chosen))


def _member_q(ctx: ReportContext, ensemble_runs: list[str]) -> list[tuple[str, dict[str, np.ndarray]]]:
    """``[(name, {"val": Q, "test": Q})]`` of every member: this run (or its ensemble members) and the listed runs."""
    from scrimmage.export.checkpoint import load_model

    task, splits, size = ctx.task, ctx.data.splits, ctx.config.trainer.eval_batch_size
    out: list[tuple[str, dict[str, np.ndarray]]] = []

    def q_of(model: Any) -> dict[str, np.ndarray]:
        return {s: task.q_values(model, splits[s], size).cpu().numpy().astype(np.float64) for s in ("val", ctx.split)}

    sources: list[Any] = []
    if ctx.config.loop.name == "ensemble":
        sources.append(ctx.run_dir / "checkpoints" / "best.ckpt")
    else:
        out.append(("this run", q_of(ctx.model)))
    sources += list(ensemble_runs)
    for source in sources:
        loaded = load_model(source, ctx.workdir)
        if loaded.data_version != ctx.data.version:
            raise CheckpointError(f"ensemble run {source} was trained on data {loaded.data_version}, this run on "
                                  f"{ctx.data.version}: list runs of the same nfl-betting options")
        if loaded.config.task.name != "offline-q":
            raise ConfigError(f"ensemble run {source} is a {loaded.config.task.name} run, not offline-q")
        names = getattr(loaded, "members", None)  # an ensemble run's members (loop: ensemble)
        if names:
            out += [(f"{source}:{name}", q_of(loaded.member_model(i))) for i, name in enumerate(names)]
        else:
            out.append((str(source), q_of(loaded.model)))
    return out


def _agreeing(members: list[tuple[str, dict[str, np.ndarray]]], rewards: np.ndarray, share: float,
              ctx: ReportContext) -> tuple[Strategy, dict[str, Any]]:
    from scipy.stats import pearsonr

    def mean_and_disagreement(split: str) -> tuple[np.ndarray, np.ndarray]:
        stack = np.stack([q[split] for _, q in members])  # [M, N, A]
        chosen = stack.mean(0).argmax(1)
        advantage = stack[:, np.arange(stack.shape[1]), chosen] - stack[:, :, 0]  # chosen action over no bet
        return chosen, advantage.std(0, ddof=1)

    val_chosen, val_spread = mean_and_disagreement("val")
    val_bets = val_chosen != 0
    threshold = float(np.quantile(val_spread[val_bets], share)) if val_bets.any() else float("-inf")
    chosen, spread = mean_and_disagreement(ctx.split)
    bets = chosen != 0
    got = _side_rewards(rewards, chosen)
    corr, p = (pearsonr(spread[bets], -got[bets]) if bets.sum() > 2 and np.std(got[bets]) > 0
               else (float("nan"), float("nan")))
    stake = (bets & (spread <= threshold)).astype(float)
    info = {"members": [name for name, _ in members], "threshold": threshold, "share": share,
            "corr_disagreement_loss": float(corr), "corr_p": float(p), "test_bets_all": int(bets.sum())}
    return Strategy("cql_ensemble_agree", stake, got), info


def rescore_run(run: str, workdir: Path, ensemble_runs: list[str], agreement_share: float = 0.2, n_boot: int = 2000,
                seed: int = 0, split: str = "test") -> Report:
    """The ``nfl-betting`` report of a finished run (its scored checkpoint) with other runs as ensemble members,
    without training again: the data are rebuilt from the run's config (walk-forward read from the cache)."""
    import torch

    from scrimmage.export.checkpoint import load_model, resolve_model_checkpoint

    files = [resolve_model_checkpoint(target, workdir).resolve() for target in (run, *ensemble_runs)]
    repeated = sorted({str(t) for t, f in zip((run, *ensemble_runs), files, strict=True) if files.count(f) > 1})
    if repeated:  # a member counted twice would agree with itself
        raise ArgumentError(f"{', '.join(repeated)} name the same model more than once (RUN and --ensemble together); "
                            "list each member run once, other seeds than RUN")
    loaded = load_model(run, workdir)
    if loaded.config.data.name != "nfl-betting" or loaded.config.task.name != "offline-q":
        raise ArgumentError(f"{run} is a {loaded.config.task.name} run on {loaded.config.data.name}; the betting report "
                            "scores offline-q runs on nfl-betting (e.g. recipes/nfl-cql.yaml)")
    data = loaded.config.data.build(workdir)
    if data.version != loaded.data_version:
        raise CheckpointError(f"{run} was trained on data {loaded.data_version}, but its config now builds "
                              f"{data.version} (another lines file or ingest): rescore it where it was trained")
    task = loaded.task
    evaluation = task.evaluate(loaded.model, data.splits[split], loaded.config.trainer.eval_batch_size, split)
    ctx = ReportContext(config=loaded.config, data=data, split=split, evaluation=evaluation, model=loaded.model,
                        task=task, workdir=workdir, run_dir=loaded.path.parent.parent, device=torch.device("cpu"))
    return betting_report(ctx, task.report(data, split, evaluation), ensemble_runs, agreement_share, n_boot, seed)
