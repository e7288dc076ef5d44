"""Calibration of the heads the simulator samples, fitted on the validation split at every validation.

The simulator needs calibrated distributions, and the trained heads are not: the play type is
trained with label smoothing and the success flags with balanced positive weights (both inflate
rare events), the curriculum's later phases weigh the play level down, and early stopping picks
a checkpoint by the game RMSE, not by the play head's calibration. The exact correction for
smoothing and weights holds only at the loss's optimum, which the play head does not reach
(on 2018-19 test plays the final recipe model, so corrected, calls kneels 2.6% of the time
against 1.1% real, spikes 2.3% against 0.2%, and turns the ball over a third as often as real).

So after each validation pass the task fits, on the validation plays (teacher-forced, real
states), logit offsets that minimise the negative log-likelihood — calibration in the large,
per class, with the network fixed (convex; L-BFGS, well under a second):

* ``call_bias`` ``[4, K]``: added to the play-type logits, one row per down (a per-class offset
  alone cannot fix fourth downs, where the head goes for it twice as often as real teams);
* ``turnover_bias`` and ``touchdown_bias`` ``[K]``: added to the turnover and touchdown flags'
  logits of each call (the sampler draws a touchdown from the flag: the yard bins cannot place
  the spike of touchdowns at the goal line sharply, and scored touchdowns at half the real rate);
* ``yard_bias`` ``[K, B]``: added to each call's yard-bin logits (calls with fewer than
  ``MIN_PLAYS`` validation plays keep zeros).

They live in the model's buffers, so every checkpoint carries the calibration of its own weights,
and the sampler adds them (:mod:`scrimmage.football.simulate.neural`). Training never reads them.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

MIN_PLAYS = 200


def _fit(params: Tensor, loss_fn) -> Tensor:  # type: ignore[no-untyped-def]
    params = params.clone().requires_grad_(True)
    opt = torch.optim.LBFGS([params], max_iter=60, line_search_fn="strong_wolfe")

    def closure() -> Tensor:
        opt.zero_grad()
        loss = loss_fn(params)
        loss.backward()
        return loss

    with torch.enable_grad():
        opt.step(closure)
    return params.detach()


def fit_calibration(type_logits: Tensor, call: Tensor, turnover_logit: Tensor, turnover: Tensor,
                    yard_logits: Tensor, yard_bin: Tensor, down: Tensor | None = None,
                    touchdown_logit: Tensor | None = None, touchdown: Tensor | None = None) -> dict[str, Tensor]:
    """Offsets from real plays: ``type_logits`` ``[P, K]``, ``call`` ``[P]`` (the real call), the
    real call's ``turnover_logit`` / ``touchdown_logit`` ``[P]`` and ``yard_logits`` ``[P, B]``,
    targets ``turnover`` / ``touchdown`` and ``yard_bin``, and the ``down`` (1-4) of each play."""
    k, n_bins = type_logits.shape[1], yard_logits.shape[1]
    type_logits, turnover_logit, yard_logits = type_logits.double(), turnover_logit.double(), yard_logits.double()
    down = torch.ones_like(call) if down is None else down.clamp(1, 4)
    call_bias = torch.zeros(4, k, dtype=torch.float64)
    for d in range(1, 5):
        rows = down == d
        if int(rows.sum()) >= MIN_PLAYS:
            call_bias[d - 1] = _fit(torch.zeros(k, dtype=torch.float64),
                                    lambda b, rows=rows: F.cross_entropy(type_logits[rows] + b, call[rows]))
    seen = torch.bincount(call, minlength=k) >= MIN_PLAYS

    def flag_bias(logit: Tensor, target: Tensor) -> Tensor:
        fitted = _fit(torch.zeros(k, dtype=torch.float64), lambda b: F.binary_cross_entropy_with_logits(
            logit.double() + b[call], target.double()))
        return torch.where(seen, fitted, torch.zeros_like(fitted))

    turnover_bias = flag_bias(turnover_logit, turnover)
    touchdown_bias = flag_bias(touchdown_logit, touchdown) if touchdown_logit is not None else torch.zeros(k)
    yard_bias = torch.zeros(k, n_bins, dtype=torch.float64)
    for c in range(k):
        rows = call == c
        if int(rows.sum()) >= MIN_PLAYS:
            yard_bias[c] = _fit(torch.zeros(n_bins, dtype=torch.float64),
                                lambda b, rows=rows: F.cross_entropy(yard_logits[rows] + b, yard_bin[rows]))
    return {"call_bias": call_bias.float(), "turnover_bias": turnover_bias.float(),
            "touchdown_bias": touchdown_bias.float(), "yard_bias": yard_bias.float()}
