"""A rich progress bar per epoch with live metrics, and a one-line summary per epoch."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from scrimmage.engine.events import Callback, Context, LoopState


class RichProgress(Callback):
    name = "progress"

    def __init__(self, console: Console, watch: tuple[str, ...] = ()):
        self.console = console
        self.watch = watch
        self.progress: Progress | None = None
        self.task_id = None

    def on_fit_start(self, state: LoopState, ctx: Context) -> None:
        self.progress = Progress(
            TextColumn("[bold]epoch {task.fields[epoch]}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[metrics]}"), TimeElapsedColumn(),
            console=self.console, transient=True,
        )
        self.progress.start()

    def on_epoch_start(self, state: LoopState, ctx: Context) -> None:
        assert self.progress is not None
        if self.task_id is not None:
            self.progress.remove_task(self.task_id)
        self.task_id = self.progress.add_task(
            "train", total=state.steps_per_epoch, epoch=f"{state.epoch + 1}/{state.max_epochs}", metrics=""
        )
        self.progress.update(self.task_id, completed=state.step_in_epoch)

    def on_optimizer_step(self, state: LoopState, ctx: Context) -> None:
        if self.progress is not None and self.task_id is not None:
            self.progress.update(self.task_id, advance=1, metrics=f"loss {state.running_loss():.4f}")

    def on_epoch_end(self, state: LoopState, ctx: Context) -> None:
        metrics = state.metrics
        shown = [f"{k} {metrics[k]:.4f}" for k in ("train/loss", *self.watch) if k in metrics]
        self.console.print(f"epoch {int(metrics['epoch']):>3}  " + "  ".join(shown), highlight=False, markup=False)

    def close(self) -> None:
        """Stop the live display (also when the run fails, so the terminal is left clean)."""
        if self.progress is not None:
            self.progress.stop()
            self.progress = None

    def on_fit_end(self, state: LoopState, ctx: Context) -> None:
        self.close()
        if state.stop_reason:
            self.console.print(state.stop_reason, style="dim", highlight=False, markup=False)
