"""The hierarchical model's play head as the simulator's :class:`~scrimmage.football.simulate.sampler.PlaySampler`.

Every simulated game carries the trained encoder's recurrent state. On each snap the sampler
builds the state-before-the-snap features the model was trained on (from the simulated
:class:`~scrimmage.football.simulate.state.GameState`, the drive and play counters it keeps
itself, and the game's pregame features), advances the encoder by one step for the games that
snap, and samples from the play head:

* **the call** (run, pass, punt, field goal, kneel, spike) from the play-type distribution;
* **a touchdown** from the touchdown flag *of that call*; otherwise **yards** from the yard-bin
  distribution *of that call* short of the goal line (a categorical; within a bin a uniform whole
  yard, the open-ended tail bins at their training mean);
* **a turnover** from the turnover flag *of that call*.

Calibration. The simulator must sample from calibrated heads, but the recipe trains the type
head with label smoothing and the success flags with balanced positive weights (both inflate
rare events: punts on first down, turnovers). A model validated by this version carries offsets
fitted on the validation plays (:mod:`.calibration`: per-class logit offsets of the call, of
each call's turnover flag and of each call's yard bins) and the sampler adds them. Without them
it falls back to undoing smoothing and weights exactly as they would be at the loss's optimum:
smoothing ``e`` over ``K`` classes makes the optimum ``q = (1 - e) p + e / K``, so ``p = (q -
e / K) / (1 - e)`` (clipped at 0, renormalised); a positive weight ``w`` multiplies the odds, so
``logit p = logit q - log w`` — which the play head, not at its optimum, misses by a factor of
two or three on rare calls.

What the network does not model comes from the empirical sampler (:mod:`.empirical`,
fitted from the same ingested tables), asked for the *network's* call: kickoffs and free kicks,
punts, field-goal success by distance, tries and the two-point decision, the game clock of
every play, penalties on kicks. On a run or pass the network's yards and turnover replace the
empirical draw's; the defense takes a turnover over where the play ended, and a turnover is
returned for a touchdown at the rate of the training plays' turnovers. The empirical sampler's
team tilt and strength-of-the-day draw are *not* applied: team strength is the network's (team
embeddings, pregame features, the game so far).

Limits: the transformer encoder would need its whole prefix at every step (no recurrent
state), so only ``lstm`` and ``gru`` models simulate; penalty yards on runs and passes are not
simulated (the yards target is the box-score gain); timeouts are not a feature.

Randomness follows the protocol: every call draws ``torch.rand(B, 6)`` plus the empirical
sampler's fixed draw, whatever the games' states.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from scrimmage.errors import ArgumentError
from scrimmage.football.datasets.targets import PLAY_FLAGS, YARD_BINS
from scrimmage.football.simulate.neural_cache import cached_pregame_frame, cached_strength, weights_digest
from scrimmage.football.simulate.sampler import PlayOutcome
from scrimmage.football.simulate.state import (
    FIELD_GOAL,
    HOME,
    PASS,
    PUNT,
    QUARTER_SECONDS,
    SNAP,
    SNAP_CALLS,
    GameState,
)

_TURNOVER = PLAY_FLAGS.index("turnover")
_TOUCHDOWN = PLAY_FLAGS.index("touchdown")
#: A field goal from farther than this many yards to the goal (a 77-yard kick) is never called.
MAX_FG_YARDS_TO_GOAL = 60
#: The settings of the strength calibration (:meth:`NeuralPlaySampler.calibrate_strength`; part of its cache key).
CALIBRATION = {"games": 20, "n": 100, "probe": 0.3, "seed": 0}


class NeuralPlaySampler:
    """A trained ``nfl-hierarchical`` model rolled forward one snap at a time (see the module docstring)."""

    latent_sd = 0.0
    """SD of each game's strength of the day (logits; see :meth:`prepare`); 0 = none, set by
    :meth:`calibrate_strength`."""
    conditions_on_real_games = True
    """Its per-game context is a real game's pregame features (``matchup_context`` wants real games)."""

    def __init__(self, model: Any, spec: Any, kicking: Any, games: pd.DataFrame, *, type_smoothing: float,
                 train_seasons: tuple[int, int], source: str = "model"):
        """``model``: the task's :class:`~.model.HierarchicalModel` (scalers + net); ``spec``: its
        input spec; ``kicking``: the empirical sampler; ``games``: per ``game_id`` the season,
        season type, week, teams and pregame feature columns; ``type_smoothing``: the label
        smoothing the play type was trained with; ``train_seasons``: the season embedding's range."""
        model = getattr(model, "module", model)  # a Fabric-wrapped model
        rnn = model.net.encoder.layers[0]["rnn"] if hasattr(model.net.encoder, "layers") else None
        if not isinstance(rnn, (torch.nn.LSTM, torch.nn.GRU)):
            raise ArgumentError(f"{source}: a transformer encoder cannot be stepped one play at a time; simulate "
                                "with an lstm or gru model (or --model empirical)")
        classes = tuple(spec.class_names)
        if classes != SNAP_CALLS:
            raise ArgumentError(f"{source}: the play head's classes {list(classes)} are not the simulator's "
                                f"calls {list(SNAP_CALLS)}; train with the default play classes")
        self.path = source
        self.scaler = model.eval()
        self.net = model.net
        self.spec = spec
        self.kicking = kicking
        self.teams: tuple[str, ...] = tuple(spec.vocabularies["team"])
        self.cell = "lstm" if isinstance(rnn, torch.nn.LSTM) else "gru"
        self.features = list(spec.feature_names)
        self.train_seasons = train_seasons
        self.type_smoothing = float(type_smoothing)
        # the balanced positive weight the turnover flag was trained with (1 = none), undone when sampling
        self.turnover_log_weight = math.log(float(self.scaler.flag_pos_weight[_TURNOVER]))
        self.games = games  # game_id → season, season_type, home/away, pregame feature columns
        self.pregame_columns = [c for c in self.features if c not in _PLAY_FEATURES]
        absent = [c for c in self.pregame_columns if c not in games.columns]
        if absent:
            raise ArgumentError(f"{source}: the games table lacks the model's pregame features {absent[:5]}")
        self.return_td_rate = _return_td_rate(kicking)
        self._bin_lo = torch.tensor([b[0] for b in YARD_BINS])
        self._bin_hi = torch.tensor([b[1] for b in YARD_BINS])
        self._hidden: list[Any] = []
        self._counters: dict[str, Tensor] = {}
        self._history: dict[str, Any] | None = None
        self._layout: tuple[list[int], list[int], Tensor | None] | None = None
        self._rows_on: dict[str, dict[int, tuple[Tensor, Tensor]]] = {}
        self._gate_base: tuple[Tensor, Tensor] | None = None
        self._w_play: Tensor | None = None
        self._pregame_scaled: Tensor | None = None

    @classmethod
    def from_checkpoint(cls, loaded: Any, workdir: Path) -> NeuralPlaySampler:
        """The sampler of a loaded ``nfl-hierarchical`` checkpoint, its games rebuilt from the ingested tables."""
        from scrimmage.football.simulate.empirical.cache import load_or_fit

        cfg = loaded.config
        if cfg.task.name != "nfl-hierarchical":
            raise ArgumentError(f"{loaded.path} is a {cfg.task.name} model; the simulator needs an nfl-hierarchical "
                                "model (its play head) or --model empirical")
        if cfg.data.name != "nfl-games":
            raise ArgumentError(f"{loaded.path} is a college run (data {cfg.data.name}); college runs do not simulate: "
                                "the simulator plays NFL games under NFL rules from the NFL tables. Give a run trained "
                                "on nfl-games (recipes/nfl-hierarchical.yaml) or --model empirical")
        kicking, _ = load_or_fit(workdir)
        games, pregame_key, _ = cached_pregame_frame(cfg.data, workdir)
        sampler = cls(loaded.model, loaded.spec, kicking, games, type_smoothing=cfg.loss.play.label_smoothing,
                      train_seasons=tuple(cfg.data.train_seasons), source=str(loaded.path))
        sampler.calibrate_from(kicking, workdir=workdir if pregame_key else None, pregame_key=pregame_key)
        return sampler

    def calibrate_from(self, kicking: Any, workdir: Path | None = None, pregame_key: str | None = None) -> None:
        """:meth:`calibrate_strength` to the empirical sampler's residual margin variance, when it has
        one and the model carries fitted offsets (an uncalibrated head is left as it is). With
        ``workdir`` the result is cached there (:mod:`.neural_cache`), keyed by the model's weights,
        the games (``pregame_key``), the empirical sampler and the target."""
        target = getattr(kicking, "meta", {}).get("strength", {}).get("residual_margin_var")
        if not (target and bool(self.scaler.calibrated)):
            return
        if workdir is None:
            self.calibrate_strength(float(target))
            return
        from scrimmage.football.simulate.empirical.cache import cache_path

        parts = {"weights": weights_digest(self.scaler), "pregame": pregame_key, "kicking": cache_path(workdir).name,
                 "target": float(target), "calibration": CALIBRATION}
        self.latent_sd, _ = cached_strength(workdir, parts, lambda: self.calibrate_strength(float(target)))

    # ------------------------------------------------------------------ per-game conditioning

    def matchup_context(self, home: list[str], away: list[str], season: int | None = None, week: int | None = None,
                        game_ids: list[str] | None = None) -> dict[str, Tensor]:
        """Per matchup: the pregame features, season and season type of a real game — the one named by
        ``game_ids``, else the meeting of ``home`` and ``away`` in ``season`` (``week``: that REG week)."""
        if game_ids is None:
            game_ids = [self._find_game(h, a, season, week) for h, a in zip(home, away, strict=True)]
        missing = [g for g in game_ids if g not in self.games.index]
        if missing:
            raise ArgumentError(f"game(s) {missing[:3]} have no pregame features for this model (only the "
                                "season types it was trained on have them)")
        rows = self.games.loc[game_ids]
        first, last = self.train_seasons
        return {
            "pregame": torch.tensor(rows[self.pregame_columns].to_numpy(np.float32)),
            "season": torch.tensor(rows["season"].to_numpy(np.int64)),
            "season_id": torch.tensor(np.clip(rows["season"].to_numpy(np.int64), first, last) - first),
            "postseason": torch.tensor((rows["season_type"] == "POST").to_numpy(np.float32)),
        }

    def _find_game(self, home: str, away: str, season: int | None, week: int | None) -> str:
        g = self.games
        rows = g[(g["home_team"] == home) & (g["away_team"] == away) & (g["season"] == season)]
        if week is not None:
            rows = rows[(rows["week"] == week) & (rows["season_type"] == "REG")]
        if rows.empty:
            met = g[(g["home_team"] == home) & (g["away_team"] == away)]
            where = ", ".join(f"{s} week {w}" for s, w in met[["season", "week"]].itertuples(index=False)) or "never"
            raise ArgumentError(
                f"the neural sampler conditions on a real game's pregame features: {home} hosted {away} in {where} in "
                f"the data, not in season {season}{f' week {week}' if week else ''}. Pick one of those, use --games, or "
                "--model empirical for any matchup")
        return str(rows.index[-1])

    @torch.no_grad()
    def opening_projection(self, home: list[str], away: list[str], context: dict[str, Tensor]) -> dict[str, Tensor]:
        """The game head before the first snap (the pregame prediction) per matchup, averaged over
        which side receives the kickoff (unknown before the coin toss): the opening snap is 1st and
        10 at the receiver's 25 with 15:00 on the clock. Real units: ``home_points``,
        ``away_points``, ``margin``, ``home_win_prob`` (``[M]`` each)."""
        ids = torch.tensor([[self.teams.index(h), self.teams.index(a)] for h, a in zip(home, away, strict=True)])
        parts = []
        self._pregame_scaled, self._gate_base = None, None  # this context's pregame block, not a simulation's
        for receiver in (0, 1):
            state = GameState.from_situation(ids, quarter=1, clock=QUARTER_SECONDS, offense=receiver, context=context)
            self._counters = {"drive_number": torch.ones(len(ids)), "play_in_drive": torch.ones(len(ids)),
                              "play_number": torch.ones(len(ids))}
            # the simulator's own feature path: already standardised, so the net runs without the scaler's input step
            batch = {"x": self._scaled_inputs(state).unsqueeze(1), "mask": torch.ones(len(ids), 1, dtype=torch.bool)}
            if self.spec.categorical:
                batch["cat"] = self._categories(state).unsqueeze(1)
            real = self.scaler.real_units(self.net(batch))
            parts.append(torch.stack([real["game_points"][:, 0, 0], real["game_points"][:, 0, 1],
                                      real["home_win_prob"][:, 0]], 1))
        self._hidden, self._counters = [], {}
        self._pregame_scaled, self._gate_base = None, None
        mean = torch.stack(parts).mean(0)
        return {"home_points": mean[:, 0], "away_points": mean[:, 1], "margin": mean[:, 0] - mean[:, 1],
                "home_win_prob": mean[:, 2]}

    def calibrate_strength(self, target_margin_var: float, games: int = CALIBRATION["games"], n: int = CALIBRATION["n"],
                           probe: float = CALIBRATION["probe"], seed: int = CALIBRATION["seed"]) -> float:
        """Set :attr:`latent_sd` so a game's simulated margin variance matches ``target_margin_var``
        (real margins' variance around what the teams' form predicts, from the empirical sampler's
        fit on the training seasons): the play head alone spreads margins too little (SD 12.5
        against 14.2). Two short simulations of ``games`` real matchups with common random numbers,
        without and with a ``probe`` tilt, give the variance the tilt adds per unit squared."""
        from scrimmage.football.simulate.engine import simulate
        from scrimmage.football.simulate.rules import NFLRules

        chosen = self.games.tail(games)
        home, away = chosen["home_team"].tolist(), chosen["away_team"].tolist()
        context = self.matchup_context(home, away, game_ids=chosen.index.tolist())

        def within(sd: float) -> float:
            self.latent_sd = sd
            result = simulate(self, NFLRules(), home, away, n=n, context=context, seed=seed)
            return float(result.margin.double().view(len(home), n).var(1).mean())

        base, probed = within(0.0), within(probe)
        per_unit = (probed - base) / probe**2
        self.latent_sd = math.sqrt(max(target_margin_var - base, 0.0) / per_unit) if per_unit > 0 else 0.0
        return self.latent_sd

    # ------------------------------------------------------------------ a real game's history

    def prime_with_game(self, game_id: str, after: int, workdir: Path) -> int:
        """Make the first ``after`` plays of real game ``game_id`` (its snaps, in the plays table's
        order) every simulated game's encoder history until :meth:`clear_history`; returns the
        number of real snaps read. The drive and play counters continue from the last one."""
        from scrimmage.football.datasets.nfl_playcall import PlaycallDataConfig
        from scrimmage.football.datasets.playcall import playcall_examples
        from scrimmage.football.nfl.ingest import load_nfl_table

        plays = load_nfl_table(workdir, "plays")
        games = load_nfl_table(workdir, "games")
        so_far = plays[plays["game_id"] == game_id].sort_values("play_index", kind="stable").iloc[:after]
        self._history = None
        if so_far.empty:
            return 0
        cfg = PlaycallDataConfig(name="nfl-playcall", season_types=list(games["season_type"].unique()))
        snaps, *_ = playcall_examples(so_far, games, cfg)
        if snaps.empty:
            return 0
        snaps = snaps.sort_values("play_index", kind="stable").reset_index(drop=True)
        snaps["drive_number"] = snaps["drive_id"].astype(np.float32)
        snaps["play_in_drive"] = (snaps.groupby("drive_id", sort=False).cumcount() + 1).astype(np.float32)
        snaps["play_number"] = np.arange(1, len(snaps) + 1, dtype=np.float32)
        game = self.games.loc[game_id]
        for column in self.pregame_columns:
            snaps[column] = float(game[column])
        x = torch.tensor(snaps[self.features].to_numpy(np.float32)).unsqueeze(0)
        columns = []
        if "team" in self.spec.categorical:
            columns += [snaps["offense"].map(self.teams.index), snaps["defense"].map(self.teams.index)]
        if "season" in self.spec.categorical:
            first, last = self.train_seasons
            columns.append(pd.Series(min(max(int(game["season"]), first), last) - first, index=snaps.index))
        cat = torch.tensor(np.stack([c.to_numpy(np.int64) for c in columns], 1)).unsqueeze(0) if columns else None
        last = snaps.iloc[-1]
        offense = 0 if last["offense"] == game["home_team"] else 1
        self._history = {"x": x, "cat": cat, "counters": {
            "drive_number": float(last["drive_number"]), "play_in_drive": float(last["play_in_drive"]),
            "play_number": float(len(snaps)), "last_offense": offense, "drive_id": int(last["drive_id"])}}
        return len(snaps)

    def clear_history(self) -> None:
        self._history = None

    # ------------------------------------------------------------------ the protocol

    def prepare(self, state: GameState, generator: torch.Generator) -> None:
        """Fresh recurrent state and drive/play counters for every game, or the primed real history
        (:meth:`prime_with_game`) repeated over the batch (draws nothing)."""
        b, dev = state.batch_size, state.device
        self.net.to(dev)
        self._hidden, self._pregame_scaled, self._gate_base = [], None, None
        primed = self._primed_hidden(dev) if self._history is not None else None
        for i, layer in enumerate(self.net.encoder.layers):
            if primed is not None:
                self._hidden.append(tuple(h.expand(-1, b, -1).contiguous() for h in primed[i])
                                    if self.cell == "lstm" else primed[i].expand(-1, b, -1).contiguous())
                continue
            zero = torch.zeros(1, b, layer["rnn"].hidden_size, device=dev)
            self._hidden.append((zero, zero.clone()) if self.cell == "lstm" else zero)
        # strength of the day: one draw per game tilts the home offense up and the away offense down
        # (or the reverse) by the same amount, so margins spread and totals do not
        z = torch.randn(b, generator=generator, device=dev) * self.latent_sd / 2
        self._tilt = torch.stack([z, -z], 1)
        zeros = torch.zeros(b, device=dev)
        self._counters = {"drive_number": zeros.clone(), "play_in_drive": zeros.clone(), "play_number": zeros.clone(),
                          "last_offense": torch.full((b,), -1, device=dev, dtype=torch.long),
                          "new_drive": torch.ones(b, dtype=torch.bool, device=dev)}
        if self._history is not None:  # the next snap continues the real drive unless possession changes
            c = self._history["counters"]
            for key in ("drive_number", "play_in_drive", "play_number"):
                self._counters[key] += c[key]
            self._counters["last_offense"].fill_(c["last_offense"])
            self._counters["new_drive"].fill_(False)
        for key in ("pregame", "season", "season_id", "postseason"):
            if key not in state.context:
                raise ArgumentError("the neural sampler needs each game's context (pregame features); build it with "
                                    "sampler.matchup_context(...) and pass it to simulate()")

    @torch.no_grad()
    def sample(self, state: GameState, generator: torch.Generator) -> PlayOutcome:
        if not self._hidden or self._hidden_size() != state.batch_size:
            self.prepare(state, generator)
        b, dev = state.batch_size, state.device
        u = torch.rand(b, 6, generator=generator, device=dev)
        snap = (state.phase == SNAP) & ~state.finished
        c = self._counters
        c["new_drive"] |= state.phase != SNAP  # a kickoff, try or free kick ends the drive
        new = snap & (c["new_drive"] | (state.offense != c["last_offense"]))
        c["drive_number"] = torch.where(new, c["drive_number"] + 1, c["drive_number"])
        c["play_in_drive"] = torch.where(new, torch.ones_like(c["play_in_drive"]),
                                         c["play_in_drive"] + snap.float())
        c["play_number"] = c["play_number"] + snap.float()
        c["last_offense"] = torch.where(snap, state.offense, c["last_offense"])
        c["new_drive"] = c["new_drive"] & ~snap

        # only the games at a snap run the network (kickoffs, tries and finished games skip it)
        active = snap.nonzero().squeeze(1)
        to_goal = (100 - state.yardline.clamp(1, 99)).float()
        tilt = self._tilt.gather(1, state.offense.unsqueeze(1)).squeeze(1).index_select(0, active)
        call_a, yards_a, lost_a = self._draw(self._step(state, active), to_goal[active], u[active],
                                             state.down.index_select(0, active).clamp(1, 4), tilt)
        call = torch.zeros(b, dtype=torch.long, device=dev).index_copy_(0, active, call_a)
        yards = torch.zeros(b, dtype=torch.long, device=dev).index_copy_(0, active, yards_a)
        lost = torch.zeros(b, dtype=torch.bool, device=dev).index_copy_(0, active, lost_a)

        out = self.kicking.sample(state, generator, call=call)
        neural = snap & (call != PUNT) & (call != FIELD_GOAL)  # run, pass, kneel, spike; kicks stay empirical
        lost = lost & neural & (call <= PASS)
        gained = out.gained if out.gained is not None else out.yards
        out.yards = torch.where(neural, torch.where(lost, 0, yards), out.yards)
        out.gained = torch.where(neural, out.yards, gained)
        out.turnover = torch.where(neural, lost, out.turnover)
        out.return_td = torch.where(neural, lost & (u[:, 4] < self.return_td_rate), out.return_td)
        out.first_down = torch.where(neural, False, out.first_down)
        out.replay_down = torch.where(neural, False, out.replay_down)
        out.new_yardline = torch.where(neural & lost, to_goal.long().clamp(1, 99), out.new_yardline)
        return out

    # ------------------------------------------------------------------ pieces

    def _draw(self, h: Tensor, to_goal: Tensor, u: Tensor, down: Tensor, tilt: Tensor | None = None
              ) -> tuple[Tensor, Tensor, Tensor]:
        """Call, yards and turnover of the active games from their encoder outputs ``h`` ``[A, width]``."""
        a = h.shape[0]
        k, n_bins, n_flags = len(SNAP_CALLS), len(YARD_BINS), len(PLAY_FLAGS)
        z = self.net.play_head[:-1](h)  # the head's last hidden layer; its output layer is split below
        weights = self._output_rows(z.device)
        type_logits = torch.nn.functional.linear(z, *weights[k])
        cal = self.scaler
        fitted = bool(cal.calibrated)
        bias = cal.call_bias.index_select(0, down - 1) if fitted else 0.0  # offsets fitted per down
        probs = self._calibrated_calls(type_logits + bias, to_goal, fitted)
        call = (u[:, :1] > probs.cumsum(-1)).sum(1).clamp(max=k - 1)

        # only the drawn call's flags and yard bins are computed (one small product per call)
        chosen = torch.empty(a, n_flags + n_bins, device=z.device)
        for c in range(k):
            rows_c = (call == c).nonzero().squeeze(1)
            if rows_c.numel():
                chosen.index_copy_(0, rows_c, torch.nn.functional.linear(z.index_select(0, rows_c), *weights[c]))
        per_call, rows = chosen[:, :n_flags], chosen[:, n_flags:]
        lo, hi = self._bin_lo.to(h.device).float(), self._bin_hi.to(h.device).float()
        if fitted:
            # a touchdown comes from the call's touchdown flag; the yards of the other plays from the
            # bins short of the goal line (the bins alone put half the real mass at the goal line)
            rows = (rows + cal.yard_bias.index_select(0, call)).masked_fill(lo >= to_goal.unsqueeze(1), float("-inf"))
            td_logit = per_call[:, _TOUCHDOWN] + cal.touchdown_bias.index_select(0, call)
            if tilt is not None:  # the offense's strength of the day: likelier touchdowns, longer gains
                td_logit = td_logit + tilt
                rows = rows + tilt.unsqueeze(1) * (self.scaler.yard_values / 10)
            scored = u[:, 5] < torch.sigmoid(td_logit)
        else:
            scored = torch.zeros_like(to_goal, dtype=torch.bool)
        bin_cdf = torch.softmax(rows, -1).cumsum(-1)
        pick = (u[:, 1:2] > bin_cdf).sum(1).clamp(max=n_bins - 1)
        top = torch.minimum(hi[pick], to_goal - 1) if fitted else hi[pick]
        bottom = torch.minimum(lo[pick], top)
        # the open-ended tail bins (a loss of 11+, a gain of 71+) are drawn at their training mean
        tail = (hi[pick] - lo[pick]) > 20
        yards = torch.where(tail, torch.minimum(self.scaler.yard_values[pick].round(), top),
                            bottom + torch.floor(u[:, 2] * (top - bottom + 1)).clamp(max=top - bottom))
        # a gain past the goal line is a touchdown (without fitted offsets the bins' mass beyond it scores)
        yards = torch.where(scored, to_goal, torch.minimum(yards, to_goal)).long()

        offset = cal.turnover_bias.index_select(0, call) if fitted else -self.turnover_log_weight
        lost = u[:, 3] < torch.sigmoid(per_call[:, _TURNOVER] + offset)
        return call, yards, lost

    @torch.no_grad()
    def _primed_hidden(self, dev: torch.device) -> list[Any]:
        """The encoder's state after the primed real snaps (batch of one)."""
        batch = {"x": self.scaler.scale_inputs(self._history["x"].to(dev))}
        if self._history["cat"] is not None:
            batch["cat"] = self._history["cat"].to(dev)
        h, _ = self.net.encoder.inputs(batch)
        states = []
        for layer in self.net.encoder.layers:
            out, hidden = layer["rnn"](h)
            states.append(hidden)
            h = layer["norm"](out)
        return states

    def _output_rows(self, device: torch.device) -> dict[int, tuple[Tensor, Tensor]]:
        """The play head's output layer split by use: per call ``c`` the rows of its flags and yard
        bins, and under key ``K`` the play-type rows (the network's layout: type, flags, yards)."""
        key = str(device)
        if key not in self._rows_on:
            last = self.net.play_head[-1]
            k, n_bins, n_flags = len(SNAP_CALLS), len(YARD_BINS), len(PLAY_FLAGS)
            split: dict[int, tuple[Tensor, Tensor]] = {k: (last.weight[:k].detach(), last.bias[:k].detach())}
            for c in range(k):
                index = torch.cat([torch.arange(k + c * n_flags, k + (c + 1) * n_flags),
                                   torch.arange(k + k * n_flags + c * n_bins, k + k * n_flags + (c + 1) * n_bins)])
                index = index.to(last.weight.device)
                split[c] = (last.weight.detach().index_select(0, index).contiguous(), last.bias.detach()[index])
            self._rows_on[key] = {c: (w.to(device), b.to(device)) for c, (w, b) in split.items()}
        return self._rows_on[key]

    def _hidden_size(self) -> int:
        first = self._hidden[0]
        return int((first[0] if isinstance(first, tuple) else first).shape[1])

    def _calibrated_calls(self, type_logits: Tensor, to_goal: Tensor, fitted: bool = False) -> Tensor:
        q = torch.softmax(type_logits, -1)
        k = q.shape[-1]
        e = 0.0 if fitted else self.type_smoothing  # fitted offsets already calibrate; else undo the smoothing
        p = ((q - e / k) / (1 - e)).clamp_min(0) if e > 0 else q
        p[:, FIELD_GOAL] = torch.where(to_goal > MAX_FG_YARDS_TO_GOAL, 0.0, p[:, FIELD_GOAL])
        return p / p.sum(-1, keepdim=True).clamp_min(1e-12)

    def _step(self, state: GameState, active: Tensor) -> Tensor:
        """Advance the encoder by one step for the games ``active`` (row indices: the games at a
        snap); their outputs ``[A, width]``. The other games' recurrent state is left as it was."""
        layers = list(self.net.encoder.layers)
        if self.cell == "lstm":  # the first layer's constant input is projected once per batch (see _first_lstm_step)
            h = self._first_lstm_step(state, active, layers[0]).unsqueeze(1)
            start = 1
        else:
            batch: dict[str, Tensor] = {"x": self._scaled_inputs(state).index_select(0, active).unsqueeze(1)}
            if self.spec.categorical:
                batch["cat"] = self._categories(state).index_select(0, active).unsqueeze(1)
            h, _ = self.net.encoder.inputs(batch)
            start = 0
        for i, layer in enumerate(layers[start:], start):
            old = self._hidden[i]
            if isinstance(old, tuple):
                out, (h_new, c_new) = layer["rnn"](h, (old[0].index_select(1, active), old[1].index_select(1, active)))
                old[0].index_copy_(1, active, h_new)
                old[1].index_copy_(1, active, c_new)
            else:
                out, h_new = layer["rnn"](h, old.index_select(1, active))
                old.index_copy_(1, active, h_new)
            h = layer["norm"](out)
        return h.squeeze(1)

    def _first_lstm_step(self, state: GameState, active: Tensor, layer: Any) -> Tensor:
        """The first LSTM layer for the active games, by hand: its input is the play block (changes
        every snap) and the pregame block plus the team and season embeddings (constant through a
        game but for who has the ball), whose projection onto the gates is computed once per batch
        for each side on offense. Same numbers as ``nn.LSTM`` (a test checks it), about 40% fewer
        multiply-adds in the layer that costs most."""
        rnn = layer["rnn"]
        if self._gate_base is None or self._gate_base[0].shape[0] != state.batch_size:
            self._gate_base = self._constant_gates(state, rnn)
        block = self._play_block(state).index_select(0, active)
        home_ball = (state.offense.index_select(0, active) == HOME).unsqueeze(1)
        base = torch.where(home_ball, self._gate_base[0].index_select(0, active), self._gate_base[1].index_select(0, active))
        h_old, c_old = (t.index_select(1, active)[0] for t in self._hidden[0])
        gates = torch.addmm(base, block, self._w_play.t()) + h_old @ rnn.weight_hh_l0.t()
        i, f, g, o = gates.chunk(4, dim=1)
        c_new = torch.sigmoid(f) * c_old + torch.sigmoid(i) * torch.tanh(g)
        h_new = torch.sigmoid(o) * torch.tanh(c_new)
        self._hidden[0][0].index_copy_(1, active, h_new.unsqueeze(0))
        self._hidden[0][1].index_copy_(1, active, c_new.unsqueeze(0))
        return layer["norm"](h_new)

    def _constant_gates(self, state: GameState, rnn: Any) -> tuple[Tensor, Tensor]:
        """Per game, the first layer's gate input from the pregame block, the embeddings and the
        biases, with the home side on offense and with the away side on offense."""
        self._scaled_inputs(state)  # sets the layout and the scaled pregame block
        play, rest, _ = self._layout  # type: ignore[misc]
        n = len(self.features)
        w = rnn.weight_ih_l0
        self._w_play = w[:, play]
        base = self._pregame_scaled @ w[:, rest].t() + rnn.bias_ih_l0 + rnn.bias_hh_l0
        sides = []
        for offense in (HOME, 1 - HOME):
            part = base
            if self.spec.categorical:
                ids = self._category_ids(state.teams, torch.full_like(state.offense, offense), state.context)
                zeros = torch.zeros(state.batch_size, 1, n, device=w.device)
                embedded, _ = self.net.encoder.inputs({"x": zeros, "cat": ids.unsqueeze(1)})
                part = part + embedded[:, 0, n:] @ w[:, n:].t()
            sides.append(part)
        return sides[0], sides[1]

    def _categories(self, state: GameState) -> Tensor:
        return self._category_ids(state.teams, state.offense, state.context)

    def _category_ids(self, teams: Tensor, side: Tensor, context: dict[str, Tensor]) -> Tensor:
        """``[B, C]`` ids in the dataset's order: offense team, defense team, season (those the model has)."""
        offense = teams.gather(1, side.unsqueeze(1)).squeeze(1)
        defense = teams.gather(1, (1 - side).unsqueeze(1)).squeeze(1)
        columns = []
        if "team" in self.spec.categorical:
            columns += [offense, defense]
        if "season" in self.spec.categorical:
            columns.append(context["season_id"])
        return torch.stack(columns, 1)

    def _scaled_inputs(self, state: GameState) -> Tensor:
        """The standardised inputs of every game's current snap: the play block is built and scaled
        each step, the pregame block (constant through a game) once per batch."""
        mean, std = self.scaler.x_mean, self.scaler.x_std
        if self._layout is None:
            play = [i for i, f in enumerate(self.features) if f in _PLAY_FEATURES]
            rest = [i for i, f in enumerate(self.features) if f not in _PLAY_FEATURES]
            order = torch.argsort(torch.tensor(play + rest))
            self._layout = (play, rest, None if bool((order == torch.arange(len(order))).all()) else order)
        play, rest, order = self._layout
        ctx = state.context
        if self._pregame_scaled is None or self._pregame_scaled.shape[0] != state.batch_size:
            self._pregame_scaled = (ctx["pregame"].float() - mean[rest]) / std[rest]
        x = torch.cat([self._play_block(state), self._pregame_scaled], 1)
        return x if order is None else x[:, order.to(x.device)]

    def _play_block(self, state: GameState) -> Tensor:
        """The standardised play features (the layout's ``play`` columns) of every game's current snap."""
        mean, std = self.scaler.x_mean, self.scaler.x_std
        play = self._layout[0]  # type: ignore[index]
        ctx = state.context
        values = snap_features(state, self._counters)
        values["postseason"] = ctx["postseason"]
        values["season_number"] = ctx["season"].float() - 2000.0
        return (torch.stack([values[self.features[i]] for i in play], 1).float() - mean[play]) / std[play]


#: Features built from the simulated state (everything else the model reads is a pregame feature).
_PLAY_FEATURES = frozenset({
    "down_1", "down_2", "down_3", "down_4", "distance", "log_distance", "yards_to_goal", "goal_to_go", "qtr_1", "qtr_2",
    "qtr_3", "qtr_4", "overtime", "half_seconds_left", "game_seconds_left", "two_minute", "score_diff",
    "score_diff_urgency", "offense_home", "postseason", "season_number", "home_score_before", "away_score_before",
    "drive_number", "play_in_drive", "play_number",
})


def snap_features(state: GameState, counters: dict[str, Tensor]) -> dict[str, Tensor]:
    """The play-level features of :func:`scrimmage.football.datasets.playcall.snap_features` (and the
    hierarchical dataset's extras) for every game's current state, by name."""
    down = state.down.clamp(1, 4)
    togo = state.distance.clamp(min=1).float()
    to_goal = (100 - state.yardline.clamp(1, 99)).float()
    q, clock = state.quarter, state.clock.float()
    game_left = torch.where(q <= 4, clock + (4 - q).clamp(min=0).float() * QUARTER_SECONDS, clock)
    half_left = torch.where((q == 1) | (q == 3), clock + QUARTER_SECONDS, clock)
    home_pts, away_pts = state.score[:, 0].float(), state.score[:, 1].float()
    diff = torch.where(state.offense == HOME, home_pts - away_pts, away_pts - home_pts)
    out = {f"down_{d}": (down == d).float() for d in (1, 2, 3, 4)}
    out |= {f"qtr_{i}": (q == i).float() for i in (1, 2, 3, 4)}
    out |= {
        "distance": togo, "log_distance": torch.log1p(togo), "yards_to_goal": to_goal,
        "goal_to_go": (to_goal <= togo).float(), "overtime": (q >= 5).float(), "half_seconds_left": half_left,
        "game_seconds_left": game_left, "two_minute": (half_left <= 120).float(), "score_diff": diff,
        "score_diff_urgency": diff / torch.sqrt(1.0 + game_left / 60.0), "offense_home": (state.offense == HOME).float(),
        "home_score_before": home_pts, "away_score_before": away_pts,
        "drive_number": counters["drive_number"], "play_in_drive": counters["play_in_drive"],
        "play_number": counters["play_number"],
    }
    return out


def _return_td_rate(kicking: Any) -> float:
    t = getattr(kicking, "tables", {})
    if "pool_turnover" in t and "pool_return_td" in t:
        lost = float(t["pool_turnover"].float().sum())
        return float(t["pool_return_td"].float().sum()) / lost if lost else 0.0
    return 0.0


def load_neural_sampler(target: str | Path, workdir: Path) -> NeuralPlaySampler:
    """The sampler of a trained ``nfl-hierarchical`` run or checkpoint, with the empirical kicking game."""
    from scrimmage.export.checkpoint import load_model

    return NeuralPlaySampler.from_checkpoint(load_model(target, workdir), workdir)
