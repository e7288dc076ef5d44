"""A second loop, registered only by the tests: it fits from an endless stream of sampled batches
(no epochs), validating every ``validate_every`` steps. It proves the session/loop seam: tracking,
checkpoints, signals, resume and ``--json`` come from the session; this file has no line for them.
"""

from __future__ import annotations

from typing import Any, Literal

import torch
from pydantic import Field

from scrimmage.config.registry import LOOPS, Component
from scrimmage.engine.events import Event, LoopState
from scrimmage.engine.session import LoopHost
from scrimmage.errors import CheckpointError


@LOOPS.register
class StreamLoopConfig(Component):
    """Optimizer steps over randomly sampled batches; a validation round every validate_every steps (tests)"""

    name: Literal["stream"] = "stream"
    steps: int = Field(40, description="Optimizer steps in all.")
    validate_every: int = Field(10, description="Validate (a round: checkpoints, tracking, early stopping) every N steps.")

    def build(self) -> Any:
        return lambda config, fabric, model, task, data: StreamLoop(self, config, fabric, model, task, data)


class StreamLoop:
    name = "stream"
    required_keys = ("optimizer", "loop")

    def __init__(self, cfg: StreamLoopConfig, config: Any, fabric: Any, model: Any, task: Any, data: Any):
        self.cfg, self.config, self.task = cfg, config, task
        self.model, self.optimizer = fabric.setup(model, config.optim.build(model.parameters()))
        self.train = task.prepare(model, data.splits["train"])
        self.val = data.splits["val"]
        self.state = LoopState(max_epochs=cfg.steps // cfg.validate_every, steps_per_epoch=cfg.validate_every,
                               model=self.model, optimizer=self.optimizer, task=task)
        self.host: LoopHost | None = None

    def attach(self, host: LoopHost) -> None:
        self.host = host

    def batch_index(self, step: int) -> torch.Tensor:
        """The batch of ``step`` is a pure function of (seed, step): resuming replays the stream exactly."""
        generator = torch.Generator().manual_seed(self.config.trainer.seed * 100_003 + step)
        return torch.randint(len(self.train), (self.config.trainer.batch_size,), generator=generator)

    def fit(self) -> None:
        state, host = self.state, self.host
        host.fire(Event.FIT_START)
        while state.global_step < self.cfg.steps and not state.should_stop:
            self.model.train()
            loss, _ = self.task.training_loss(self.model, self.train.take(self.batch_index(state.global_step)))
            loss.backward()
            self.optimizer.step()
            self.optimizer.zero_grad(set_to_none=True)
            state.global_step += 1
            state.samples_seen += self.config.trainer.batch_size
            host.fire(Event.OPTIMIZER_STEP)
            if state.global_step % self.cfg.validate_every == 0:
                self.validate(float(loss))
            host.stop_point()
        host.fire(Event.FIT_END)

    def validate(self, train_loss: float) -> None:
        state, host = self.state, self.host
        host.fire(Event.VALIDATION_START)
        self.model.eval()
        metrics = self.task.evaluate(self.model, self.val, 4096, "val").metrics
        state.metrics = {"epoch": float(state.epoch + 1), "train/loss": train_loss, **metrics}
        host.fire(Event.VALIDATION_END)
        state.history.append(state.metrics)
        state.epoch += 1
        host.fire(Event.EPOCH_END)

    def stateful(self) -> dict[str, Any]:
        return {"optimizer": self.optimizer}

    def loop_state(self) -> dict[str, Any]:
        return {"name": self.name, "position": self.state.state_dict()}

    def load_loop_state(self, saved: dict[str, Any]) -> None:
        if "position" not in saved:
            raise CheckpointError("the stream loop's checkpoint lacks its position")
        self.state.load_state_dict(saved["position"])

    def load_weights(self, path: Any) -> None:
        state = torch.load(path, map_location="cpu", weights_only=False)
        self.model.module.load_state_dict(state["model"])
