"""The event contract: one hook per event, dispatch skips no-op hooks, callbacks see state and context only."""

from __future__ import annotations

import inspect

from scrimmage.engine import run
from scrimmage.engine.events import Callback, Context, Dispatcher, Event, LoopState


def test_hooks_and_events_are_one_to_one():
    hooks = {name for name, _ in inspect.getmembers(Callback, inspect.isfunction) if name.startswith("on_")}
    assert hooks == {event.value for event in Event}


def test_events_module_imports_nothing_from_the_loop():
    import scrimmage.engine.events as events

    source = inspect.getsource(events)
    assert "engine.loop" not in source and "import torch" not in source


class Recorder(Callback):
    name = "recorder"

    def __init__(self):
        self.seen: list[tuple[str, int, int]] = []

    def on_fit_start(self, state, ctx):
        self.seen.append(("fit_start", state.epoch, state.global_step))

    def on_epoch_start(self, state, ctx):
        self.seen.append(("epoch_start", state.epoch, state.global_step))

    def on_epoch_end(self, state, ctx):
        assert isinstance(ctx, Context) and ctx.is_main_process
        assert state.metrics["epoch"] == state.epoch, "after EPOCH_END, state.epoch counts finished epochs"
        self.seen.append(("epoch_end", state.epoch, state.global_step))

    def on_fit_end(self, state, ctx):
        self.seen.append(("fit_end", state.epoch, state.global_step))


def test_the_loop_fires_events_in_pseudocode_order(tmp_path, synthetic_config):
    recorder = Recorder()
    run(synthetic_config("trainer.epochs=2", "callbacks=[]"), workdir=tmp_path, progress=False, callbacks=[recorder])
    steps = -(-600 // 32)
    assert recorder.seen == [
        ("fit_start", 0, 0), ("epoch_start", 0, 0), ("epoch_end", 1, steps),
        ("epoch_start", 1, steps), ("epoch_end", 2, 2 * steps), ("fit_end", 2, 2 * steps),
    ]


def test_dispatch_skips_hooks_a_callback_does_not_override():
    class OnlyEnd(Callback):
        def on_epoch_end(self, state, ctx):
            state.should_stop = True

    dispatch = Dispatcher([OnlyEnd()])
    assert not dispatch.has(Event.OPTIMIZER_STEP) and dispatch.has(Event.EPOCH_END)
    state = LoopState(max_epochs=1, steps_per_epoch=1)
    dispatch(Event.EPOCH_END, state, Context(save_checkpoint=print, load_weights=print))
    assert state.should_stop


def test_callbacks_come_from_the_recipe_by_name(tmp_path, synthetic_config):
    result = run(synthetic_config("trainer.epochs=30", "optim.name=sgd", "optim.lr=0.5", "callbacks.0.patience=1"),
                 workdir=tmp_path, progress=False)
    assert result.stop_reason.startswith("early stopping: val/loss did not improve for 1 epoch (")
