"""nfl-betting: the walk-forward is out of sample, payoffs have the right signs, pushes pay 0, bad input fails clearly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from scrimmage.config.registry import DATASETS
from scrimmage.errors import DataError
from scrimmage.football.betting.rewards import action_rewards, price_payout
from scrimmage.football.betting.walkforward import walk_forward
from scrimmage.football.datasets.nfl_pregame import PregameDataConfig
from scrimmage.football.datasets.pregame import pregame_examples
from scrimmage.football.nfl.lines import games_from_spreadspoke


def predictions(games):
    frame, columns, _ = pregame_examples(games, PregameDataConfig())
    return walk_forward(frame, columns, members=3).set_index("game_id")


def test_walk_forward_never_sees_the_season_it_predicts(lines_csv):
    """Scramble 2016's scores from week 2 on: every earlier season, and 2016's week 1 (whose features come only
    from earlier seasons), keep their predictions; a model fit on 2016 itself would move them."""
    games = games_from_spreadspoke(lines_csv, (2012, 2017))
    before = predictions(games)
    changed = games.copy()
    later = (changed["season"] == 2016) & (changed["week"] >= 2)
    rng = np.random.default_rng(1)
    changed.loc[later, "home_score"] = rng.integers(0, 50, int(later.sum()))
    after = predictions(changed)
    cols = ["pred_margin", "pred_total", "pred_margin_std"]
    fixed = before[(before["season"] < 2016) | ((before["season"] == 2016) & (before["week"] == 1))].index
    assert len(fixed) > 700
    np.testing.assert_allclose(after.loc[fixed, cols].to_numpy(), before.loc[fixed, cols].to_numpy(), equal_nan=True)
    moved = before[before["season"] == 2017].index  # fit on the scrambled 2016: must move
    assert not np.allclose(after.loc[moved, "pred_margin"], before.loc[moved, "pred_margin"])
    assert before.loc[before["season"] == 2012, "pred_margin"].isna().all()  # no earlier season: no prediction


def test_payoffs_signs_and_pushes():
    payout = price_payout(-110)
    assert payout == pytest.approx(100 / 110)
    # home favoured by 3 (spread_home -3): wins by 7 covers, by 3 pushes, by 1 fails; total line 44
    r = action_rewards(np.array([7, 3, 1]), np.array([50, 44, 30]), np.array([-3.0, -3.0, -3.0]),
                       np.array([44.0, 44.0, 44.0]), payout, over_under=True)
    assert r[:, 0].tolist() == [0, 0, 0]
    assert r[:, 1].tolist() == pytest.approx([payout, 0, -1])  # home against the spread
    assert r[:, 2].tolist() == pytest.approx([-1, 0, payout])  # away
    assert r[:, 3].tolist() == pytest.approx([payout, 0, -1])  # over
    assert r[:, 4].tolist() == pytest.approx([-1, 0, payout])  # under
    assert price_payout(150) == 1.5
    with pytest.raises(ValueError):
        price_payout(-50)


def test_built_splits_carry_every_payoff(lines_csv, tmp_path):
    cfg = DATASETS.validate({"name": "nfl-betting", "lines": str(lines_csv), "games_from": "lines", "members": 3})
    bundle = cfg.build(tmp_path)
    train, test = bundle.splits["train"], bundle.splits["test"]
    assert len(train) == 3 * bundle.info["n_games"]["train"]  # behaviour all: every action of every game logged
    assert len(test) == bundle.info["n_games"]["test"]
    y = test.column("y")
    frame = bundle.frames["test"]
    cover = frame["margin"].to_numpy() + frame["spread_home"].to_numpy()
    assert np.all((y[:, 1].numpy() > 0) == (cover > 0)) and np.all((y[:, 1].numpy() == 0) == (cover == 0))
    assert (y[:, 1] + y[:, 2] <= 0).all()  # the two sides never both win: the vig
    assert frame["season"].min() == 2018 and bundle.frames["train"]["season"].min() == 2010  # 2009: no prior season
    assert torch_equal_rows(train)
    again = cfg.build(tmp_path)
    assert again.info["walk_forward_cached"] and again.version == bundle.version


def torch_equal_rows(split) -> bool:
    """The logged reward is the logged action's column of y."""
    y, a, r = split.column("y"), split.column("action"), split.column("reward")
    return bool((y[range(len(a)), a] == r).all())


def test_bad_options_fail_with_the_fix(tmp_path, lines_csv):
    with pytest.raises(Exception, match="edge_margin"):  # the message lists the valid features
        DATASETS.validate({"name": "nfl-betting", "features": ["edge"], "lines": str(lines_csv)})
    with pytest.raises(Exception, match="not found"):
        DATASETS.validate({"name": "nfl-betting", "lines": str(tmp_path / "none.csv")})
    with pytest.raises(Exception, match="American price"):
        DATASETS.validate({"name": "nfl-betting", "odds": -50})
    with pytest.raises(DataError, match="data.lines"):
        DATASETS.validate({"name": "nfl-betting", "games_from": "lines"}).build(Path(tmp_path))
