"""Reports as components: what a run says about its model beyond the task's own metrics table.

A report is registered in :data:`scrimmage.config.registry.REPORTS` (a pydantic schema whose
``name`` is a ``Literal``, with its own options) and named in the recipe::

    reports:
      - name: my-baselines          # a domain's report, with its own options
      - name: my-simulation
        n: 100

Its ``build()`` returns a :class:`ReportFn`. After the final evaluation the session calls the
task's own ``report`` (the generic table) and then each report in recipe order, handing each the
table so far and an explicit :class:`ReportContext`; a report returns the table with its rows,
sections and notes added. A recipe that names none gets the task's table alone. Trials that skip
the test evaluation (``run(evaluate_test=False)``) run no report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import torch
    from torch import nn

    from scrimmage.config.schema import RunConfig
    from scrimmage.data.datamodule import DataBundle
    from scrimmage.engine.tasks.base import Evaluation, Report


@dataclass
class ReportContext:
    """Everything a report may read, passed explicitly (nothing is set on other objects by the runner)."""

    config: RunConfig
    data: DataBundle
    split: str
    """The split being reported (``test`` for a run's final report)."""
    evaluation: Evaluation
    """The task's evaluation of ``split`` (metrics, predictions, targets) with the reported weights."""
    model: nn.Module
    """The unwrapped model in eval mode, on ``device``, holding the weights that were evaluated."""
    task: Any
    workdir: Path
    run_dir: Path
    device: torch.device
    print: Callable[[str], None] = field(default=lambda text: None)
    """Where progress lines of long reports go (the run's console; a no-op when quiet)."""


class ReportFn(Protocol):
    """A built report: the table so far in, the table with this report's rows, sections and notes out."""

    def __call__(self, ctx: ReportContext, report: Report) -> Report: ...


def run_reports(components: list[Any], ctx: ReportContext, report: Report) -> Report:
    """Apply the recipe's reports in order to the task's table."""
    for component in components:
        report = component.build()(ctx, report)
    return report
