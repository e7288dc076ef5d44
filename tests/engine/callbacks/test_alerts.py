"""The alerts callback: each rule fires once when its condition becomes true and again only after it
cleared; state survives a checkpoint (training time, not the gap); config mistakes fail up front.

Unit tests drive the callback through the real Dispatcher and LoopState with hand-made metrics; the
end-to-end tests train the synthetic dataset (19 optimizer steps per epoch) for one epoch.
"""

from __future__ import annotations

import io

import pytest
import torch
from rich.console import Console

from scrimmage.config import load_config
from scrimmage.engine import run
from scrimmage.engine.callbacks.alerts import Alerts
from scrimmage.engine.events import Callback, Context, Dispatcher, Event, LoopState
from scrimmage.errors import ConfigError


class Clock:
    """An injectable clock (seconds) the test moves by hand."""

    def __init__(self, now: float = 1000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


class Harness:
    """One callback, the real Dispatcher and LoopState, and a Context that records prints and logs."""

    def __init__(self, callback: Callback):
        self.callback = callback
        self.dispatch = Dispatcher([callback])
        self.state = LoopState(max_epochs=100, steps_per_epoch=10)
        self.printed: list[str] = []
        self.logged: list[tuple[dict[str, float], int]] = []
        self.ctx = Context(save_checkpoint=lambda path: None, load_weights=lambda path: None,
                           log=lambda metrics, step: self.logged.append((dict(metrics), step)),
                           print=self.printed.append)
        self.dispatch(Event.FIT_START, self.state, self.ctx)

    def validate(self, **metrics: float) -> None:
        """One epoch end with these metrics (``val_loss`` → ``val/loss``)."""
        self.state.epoch += 1
        self.state.metrics = {"epoch": float(self.state.epoch), **{k.replace("_", "/", 1): v for k, v in metrics.items()}}
        self.dispatch(Event.EPOCH_END, self.state, self.ctx)

    def step(self, grad_norm: float | None = None) -> None:
        self.state.global_step += 1
        self.state.grad_norm = None if grad_norm is None else torch.tensor(grad_norm)
        self.dispatch(Event.OPTIMIZER_STEP, self.state, self.ctx)

    def alerts(self, kind: str) -> list[str]:
        return [line for line in self.printed if line.startswith(f"ALERT {kind}:")]


def test_worse_than_best_fires_once_while_it_holds_and_again_after_clearing():
    h = Harness(Alerts("val/loss", "min", worse_than_best=0.5))
    for value in (1.0, 0.8, 1.2, 1.31, 1.5, 1.6):  # best 0.8; 1.31 is the first more than 0.5 worse
        h.validate(val_loss=value)
    assert len(h.alerts("worse_than_best")) == 1
    assert "val/loss 1.31 at epoch 4 is 0.51 worse than its best 0.8 (epoch 2)" in h.alerts("worse_than_best")[0]
    assert h.callback.counts["worse_than_best"] == 1
    assert ({"alerts/worse_than_best": 1.0}, 4) in h.logged, "the count is logged at the epoch it fired"
    h.validate(val_loss=0.9)  # within 0.5 of the best again: cleared
    h.validate(val_loss=1.4)  # worse again: a second alert
    assert len(h.alerts("worse_than_best")) == 2 and h.callback.counts["worse_than_best"] == 2
    assert [e["epoch"] for e in h.callback.events] == [4, 8]


def test_worse_than_best_follows_the_monitor_mode():
    h = Harness(Alerts("val/accuracy", "max", worse_than_best=0.1))
    for value in (0.5, 0.7, 0.65, 0.55):  # max mode: 0.55 is 0.15 below the best 0.7
        h.validate(val_accuracy=value)
    assert len(h.alerts("worse_than_best")) == 1 and "epoch 4" in h.alerts("worse_than_best")[0]


def test_a_metric_drop_rule_fires_on_a_fall_below_its_best():
    h = Harness(Alerts("val/loss", "min", metric_drops=[("val/state_consistency_rate", 0.02, "max"),
                                                        ("val/error", 0.1, "min")]))
    for rate in (0.90, 0.95, 0.94, 0.925, 0.92, 0.95, 0.90):
        h.validate(val_loss=1.0, val_state_consistency_rate=rate, val_error=0.3)
    fired = h.alerts("metric_drop_val_state_consistency_rate")
    assert len(fired) == 2, "0.925 fell 0.025 below 0.95 (fires), 0.92 still down (no repeat), 0.95 clears, 0.90 fires"
    assert "val/state_consistency_rate 0.925 at epoch 4 fell 0.025 from its best 0.95 (epoch 2)" in fired[0]
    h.validate(val_loss=1.0, val_state_consistency_rate=0.95, val_error=0.45)  # min mode: a rise of 0.15 is bad
    assert len(h.alerts("metric_drop_val_error")) == 1 and "rose 0.15" in h.alerts("metric_drop_val_error")[0]


def test_a_drop_rule_on_a_metric_the_run_never_reports_is_said_once():
    h = Harness(Alerts("val/loss", "min", metric_drops=[("val/nope", 0.1, "max")]))
    h.validate(val_loss=1.0)
    h.validate(val_loss=0.9)
    notices = [line for line in h.printed if "val/nope" in line]
    assert len(notices) == 1 and "never fires" in notices[0] and "val/loss" in notices[0]


def test_no_improvement_counts_minutes_from_the_last_improvement_with_an_injected_clock():
    clock = Clock()
    h = Harness(Alerts("val/loss", "min", no_improvement_minutes=30, clock=clock))
    clock.now += 40 * 60
    h.step()
    assert not h.printed, "before the first validation nothing is measured: a long first epoch is not a stall"
    h.validate(val_loss=1.0)  # improvement at 40 min of training
    clock.now += 25 * 60
    h.validate(val_loss=1.1)
    assert not h.alerts("no_improvement")
    clock.now += 6 * 60  # 31 minutes since the improvement: fires at the next step, once
    h.step()
    h.step()
    h.validate(val_loss=1.05)
    assert len(h.alerts("no_improvement")) == 1
    assert "has not improved for 31.0 minutes of training (best 1 at epoch 1)" in h.alerts("no_improvement")[0]
    h.validate(val_loss=0.9)  # an improvement clears it
    clock.now += 31 * 60
    h.step()
    assert len(h.alerts("no_improvement")) == 2


def test_grad_norm_fires_when_it_crosses_and_rearms_below_and_on_non_finite_norms():
    h = Harness(Alerts("val/loss", "min", grad_norm_above=10.0))
    assert h.state.want_grad_norm, "it asks the loop for the norm even when nothing clips"
    for norm in (1.0, 12.0, 15.0, 3.0, 11.0, float("inf")):
        h.step(norm)
    fired = h.alerts("grad_norm")
    assert len(fired) == 2, "12 fires, 15 holds, 3 clears, 11 fires, inf still above"
    assert "gradient norm 12 (before clipping) above 10 at epoch 1, step 2" in fired[0]
    h.step(2.0)
    h.step(float("nan"))
    assert len(h.alerts("grad_norm")) == 3 and h.callback.counts == {"grad_norm": 3}


def test_rules_set_to_null_are_off_and_counts_start_at_zero_in_the_log():
    h = Harness(Alerts("val/loss", "min", worse_than_best=0.5, grad_norm_above=None))
    assert not h.state.want_grad_norm
    assert h.logged[0] == ({"alerts/worse_than_best": 0.0}, 0), "every enabled rule's count is logged at the start"
    h.step(1e9)
    h.validate(val_loss=float("nan"))  # not finite: skipped, neither a best nor an alert
    h.validate(val_loss=1.0)
    h.validate(val_loss=1.4)
    assert not [line for line in h.printed if line.startswith("ALERT")]
    h.dispatch(Event.FIT_END, h.state, h.ctx)
    assert h.printed[-1] == "alerts: none raised"


def test_state_round_trips_and_resumed_time_counts_training_not_the_gap():
    clock = Clock()
    rules = dict(worse_than_best=0.5, metric_drops=[("val/rate", 0.02, "max")], no_improvement_minutes=30,
                 grad_norm_above=10.0)
    h = Harness(Alerts("val/loss", "min", clock=clock, **rules))
    h.validate(val_loss=1.0, val_rate=0.9)
    clock.now += 10 * 60
    h.validate(val_loss=1.6, val_rate=0.85)  # fires worse_than_best and the drop
    h.step(20.0)  # fires grad_norm; still active when saved
    saved = h.callback.state_dict()
    assert saved["seconds"] == pytest.approx(600.0)
    assert saved["counts"] == {"worse_than_best": 1, "no_improvement": 0, "grad_norm": 1, "metric_drop_val_rate": 1}

    clock.now += 5 * 3600  # five hours pass before the resume
    fresh = Alerts("val/loss", "min", clock=clock, **rules)
    fresh.load_state_dict(saved)
    h2 = Harness(fresh)  # FIT_START of the resumed session
    assert fresh.state_dict() == saved, "everything round-trips (and no time passed in this session yet)"
    h2.state.epoch = 2
    h2.step(30.0)
    assert not h2.alerts("grad_norm"), "still above since before the checkpoint: no repeat after a resume"
    clock.now += 19 * 60  # 29 minutes of training since the improvement at 0: not yet
    h2.validate(val_loss=1.7, val_rate=0.8)
    assert not h2.alerts("no_improvement") and not h2.alerts("worse_than_best")
    clock.now += 2 * 60
    h2.step(1.0)
    assert len(h2.alerts("no_improvement")) == 1
    h2.dispatch(Event.FIT_END, h2.state, h2.ctx)
    assert h2.printed[-1] == "alerts: 4 raised (worse_than_best 1, no_improvement 1, grad_norm 1, metric_drop_val_rate 1)"


def test_an_unknown_drop_metric_is_a_config_error_at_startup_naming_the_valid_ones(tmp_path, synthetic_config):
    config = synthetic_config("callbacks=[{name: alerts, metric_drops: [{metric: val/a_rmsee, drop: 0.1, mode: min}]}]")
    with pytest.raises(ConfigError, match=r"callbacks alerts: metric_drops names 'val/a_rmsee'.*Did you mean "
                                          r"'val/a_rmse'\?.*Valid metrics: .*val/loss, val/a_rmse, val/a_mae"):
        run(config, workdir=tmp_path, progress=False)
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir()), "nothing was written"


@pytest.mark.parametrize(("override", "expected"), [
    ("callbacks.0.grad_norm_above=-1", r"'callbacks.0.grad_norm_above': grad_norm_above is a threshold and must be >= 0"),
    ("callbacks.0.worse_than_best=-0.5", r"'callbacks.0.worse_than_best': worse_than_best is a threshold and must be >= 0"),
    ("callbacks.0.no_improvement_minutes=0", r"no_improvement_minutes is a threshold and must be > 0"),
    ("callbacks.0.metric_drops=[{metric: val/loss, drop: -0.1}]", r"'callbacks.0.metric_drops.0.drop': drop is a threshold"),
    ("callbacks.0.metric_drops=[{metric: val/loss, drop: 1, mode: up}]", r"'callbacks.0.metric_drops.0.mode'"),
    ("callbacks.0.metric_drops=[{metric: val/loss, drop: 1}, {metric: val/loss, drop: 2}]", r"more than one rule"),
    ("callbacks.0.grad_norm=1", r"unknown config key 'callbacks.0.grad_norm'"),
])
def test_the_schema_rejects_bad_thresholds_with_a_clear_message(override, expected):
    from tests.engine.synthetic import BASE_OVERRIDES

    with pytest.raises(ConfigError, match=expected):
        load_config(None, [*BASE_OVERRIDES, "callbacks=[{name: alerts}]", override])


def test_defaults_and_null_rules():
    from tests.engine.synthetic import BASE_OVERRIDES

    config = load_config(None, [*BASE_OVERRIDES, "callbacks=[{name: alerts, metric_drops: null, grad_norm_above: null}]"])
    alerts = config.callback("alerts")
    assert (alerts.worse_than_best, alerts.no_improvement_minutes, alerts.grad_norm_above) == (0.5, 30.0, None)
    assert alerts.metric_drops == []
    built = alerts.build(config)
    assert built.kinds == ["worse_than_best", "no_improvement"]


class GradNorms(Callback):
    name = "grad_norms"

    def __init__(self):
        self.norms: list[object] = []

    def on_optimizer_step(self, state, ctx) -> None:
        self.norms.append(state.grad_norm)


@pytest.mark.parametrize("grad_clip", ["1.0", "null"])
def test_a_tiny_run_raises_the_grad_norm_alert_in_its_output_and_checkpoint(tmp_path, synthetic_config, grad_clip):
    config = synthetic_config("trainer.epochs=1", f"trainer.grad_clip={grad_clip}",
                              "callbacks=[{name: alerts, grad_norm_above: 0.0001, "
                              "metric_drops: [{metric: val/a_rmse, drop: 0.5, mode: min}]}]")
    buffer = io.StringIO()
    norms = GradNorms()
    result = run(config, workdir=tmp_path, progress=False, console=Console(file=buffer, width=300), callbacks=[norms])
    output = buffer.getvalue()
    assert "ALERT grad_norm: gradient norm" in output and "above 0.0001 at epoch 1, step 1" in output
    assert output.count("ALERT grad_norm") == 1, "the norm stays above the threshold: one alert"
    assert "alerts: 1 raised (grad_norm 1)" in output
    assert len(norms.norms) == 19 and all(torch.is_tensor(n) and float(n) > 0 for n in norms.norms)
    saved = torch.load(result.checkpoints["last"], map_location="cpu", weights_only=False)["callbacks"]["alerts"]
    assert saved["counts"]["grad_norm"] == 1 and saved["active"]["grad_norm"]
    assert saved["events"][0]["kind"] == "grad_norm" and saved["events"][0]["step"] == 1
    alerts = result.to_dict()["alerts"]  # the run's result (and --json) carries them too
    assert alerts["raised"] == 1 and alerts["counts"]["grad_norm"] == 1 and alerts["events"][0]["kind"] == "grad_norm"


def test_without_clipping_or_a_request_the_loop_computes_no_grad_norm(tmp_path, synthetic_config):
    norms = GradNorms()
    run(synthetic_config("trainer.epochs=1", "trainer.grad_clip=null", "callbacks=[]"), workdir=tmp_path,
        progress=False, callbacks=[norms])
    assert len(norms.norms) == 19 and all(n is None for n in norms.norms)
