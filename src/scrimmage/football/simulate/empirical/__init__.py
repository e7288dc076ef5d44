"""The empirical play sampler: real plays of the training seasons, resampled by situation.

Four modules: :mod:`.sampling` (the situation cells and :class:`~.sampling.EmpiricalSampler`, which draws
from the fitted tables), :mod:`.fitting` (every distribution fitted from the ingested tables),
:mod:`.strength` (team form, home field and the strength-of-the-day calibration) and :mod:`.cache`
(:func:`~.cache.load_or_fit`: the fitted sampler cached in the workdir, keyed by the data manifest).
Nothing is imported here.

It implements :class:`~scrimmage.football.simulate.sampler.PlaySampler` with distributions read straight off the ingested
plays table (REG and POST games of ``fit_seasons``, 2009-2016 by default). Every distribution is
the empirical one of a situation cell, smoothed toward a coarser cell, so its tails (the long
touchdown, the sack, the pick six) are the real ones. That is what gives realistic margin and
total spreads: hobby simulators that draw yards from a normal curve get a margin SD near 9
where real games have 14.6.

Distributions (all sampled with the generator the engine passes, see :mod:`scrimmage.football.simulate.sampler`):

* **play call** (run, pass, punt, field goal, kneel, spike, the ``nfl-playcall`` classes): class
  frequencies per situation cell — down × distance bucket × field zone × score-difference
  bucket × time bucket (quarter; the last 2:00, 0:30 and 0:10 of each half; the last 5:00 of
  the fourth quarter; overtime) — smoothed Dirichlet-style (``(n_c + a p_parent) / (N + a)``,
  ``a = call_smoothing``) through the chain (…, behind/level/ahead, time) → (down, distance,
  zone, time) → (down, distance, zone) → (down, zone) → all snaps, so a thin late-game cell
  leans on its parent instead of on noise.
* **run / pass / kneel / spike outcome**: a real snap drawn from the cell (game context, call,
  yards-to-goal zone, down-and-distance bucket); with probability ``a / (n + a)`` (``a =
  yards_smoothing``) from the coarser (context, call, zone) cell instead — a categorical over the
  observed outcomes, i.e. over yard values, losses included. The contexts are normal, late in a
  half with the offense not ahead (hurry-up against a soft defense, desperate throws) and the
  last 5:00 with the offense ahead. The snap brings its *net* yards (the next snap's spot minus
  this one's, so penalties on the play count), an automatic first down or a replayed down when a
  penalty gave one, its turnover (interception or fumble lost, with the defense's new spot
  relative to the line of scrimmage, or a return touchdown) and its box-score yards. A real
  touchdown's gain is censored at the goal line, so it scores from wherever in its cell it is
  drawn (cells are a few yards wide near the goal line; this leans slightly high on touchdowns
  per snap, by about a tenth). Pre-snap fouls (no call recorded) fold into the previous snap's
  transition.
* **clock**: the seconds from a snap to the next snap (game clock) drawn from real snaps of the
  same (call, clock stopped or not, clock context) cell — the clock stops on incompletions, out
  of bounds, penalties and changes of possession; the contexts are normal, the first half's
  2:00-0:31 and its last 0:30, the last 5:00 of the game with the offense ahead (the
  clock-killing offense) or not ahead (the hurry-up, split at 0:30), and overtime. Timeouts are
  not counted: their effect is in these late-half distributions, plus one explicit rule — in the
  last 0:30 of a half an offense that is not ahead and within field-goal range keeps 3 seconds
  for the kick (the timeout real teams save for it). Games with flagged clock jumps are left out.
* **punts**: the receiving side's next spot by 5-yard punt-spot bucket (shifted by the
  difference between the simulated and the real spot, except touchbacks), return touchdowns,
  muffs recovered by the kicking side, and the seconds used.
* **field goals**: make probability by kick distance (yards to goal + 17), kernel-smoothed over
  neighbouring distances and made non-increasing with distance.
* **kickoffs** (from the modal kick spot), onside-kick situations (kicking side behind in the
  last 5:00), free kicks after a safety: the receiving side's spot, return touchdowns, kicks the
  kicking side recovers, seconds. **Tries**: extra-point and two-point success rates, and the
  two-point decision by the scorer's lead after the touchdown and fourth quarter or not (all fit
  seasons, smoothed toward the latest seasons' overall rates). Kicking rules changed inside the
  data (kickoffs from the 35 in 2011, extra points from the 15 in 2015, touchbacks to the 25 in
  2016), so kickoffs and the try success rates are fitted on the latest
  ``special_teams_seasons`` of the fit range.

**Team strength and home field** (``team_strength``, ``home_field``, ``strength_uncertainty``):

* A team's *form* is its net yards per run/pass snap (gained for the offense form, allowed for
  the defense form) above the league level, exponentially weighted over its earlier REG/POST
  games only (half-life ``form_halflife_games``, ``form_prior_games`` pseudo-games of an average
  team, ``form_season_regression`` of it dropped between seasons). A game's ``x_home`` /
  ``x_away`` is an offense's form plus the opposing defense's form.
* It enters the draw as a *tilt* ``delta`` per offense (yards per snap): two snaps are drawn from
  the cell and the second kept with probability ``sigmoid(theta * (y2 - y1))``, ``theta = kappa *
  delta`` with ``kappa = 2 / var`` (the mean within-cell variance of net yards), which moves the
  cell mean by about ``delta`` and leaves its tails, turnovers and clock the data's.
* Scale, fitted on the fit seasons: real margins and totals regressed on ``x_home - x_away`` and
  ``x_home + x_away`` give points per unit of form (``beta_margin``, ``beta_total``) and the home
  edge in points; a short calibration simulation (common random numbers, fixed seed) measures the
  simulator's points per unit of tilt (``gamma``); tilts are form × ``beta / gamma`` and the home
  offense gets ``home_points / (2 gamma)`` (the away offense minus that). So the simulated mean
  margin answers form as real margins did, and noisy forms are shrunk by the regression.
* Strength of the day: real margins vary around the form's prediction more than the simulator's
  own game-to-game randomness does (form misses injuries, weather, matchups). ``prepare`` draws
  each simulated game a latent tilt with the variance left over (regression residual variance
  minus the simulator's, converted by ``gamma``) — the predictive distribution given the form,
  not given perfectly known teams. Mean margins are unchanged; spreads and win probabilities
  become honest about it.

Hand-written because the task is the data's own distributions over tensors; no library fits
them. Fitting is vectorised pandas/numpy plus the calibration (a few seconds) and cached in the
workdir by :func:`load_or_fit`, keyed by the data manifest and the options.
"""
