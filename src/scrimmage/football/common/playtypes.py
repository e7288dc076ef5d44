"""The play types every league's tables use, and the play-call labels of the datasets built on them.

Each league's ingest maps its source's own codes onto :data:`PLAY_TYPES` (the NFL's Game Center
stat ids in :mod:`scrimmage.football.nfl.playtypes`, CFBD's strings in
:mod:`scrimmage.football.cfb.playtypes`).
"""

from __future__ import annotations

PLAY_TYPES: tuple[str, ...] = (
    "run", "pass", "sack", "punt", "field_goal", "kickoff", "extra_point", "two_point",
    "kneel", "spike", "no_play", "other",
)
#: Play types that count as offensive snaps for success rate / offensive play counts.
OFFENSIVE_TYPES: frozenset[str] = frozenset({"run", "pass", "sack"})

#: Every class the play-call dataset can make, in class-index order (its options pick a subset).
PLAYCALL_CLASSES = ("run", "pass", "sack", "punt", "field_goal", "kneel", "spike")
