"""Play type and play flags from Game Center stat ids and the play description.

Game Center has no play-type field: each play lists the stats its players earned (``statId``,
meaning documented by nflgame's ``statmap.py``). The type is derived here from those ids, with
the description as a fallback for plays whose stats are sparse (early seasons, nullified plays).
Order matters: a nullified play ("... - No Play") is ``no_play`` whatever else it lists; special
teams beat scrimmage types; a sack beats a pass.
"""

from __future__ import annotations

import re

from scrimmage.football.common.playtypes import OFFENSIVE_TYPES, PLAY_TYPES  # noqa: F401  (the types these ids map to)

EXTRA_POINT_IDS = frozenset({72, 73, 74, 87, 301})
TWO_POINT_IDS = frozenset({75, 76, 77, 78, 104, 105})
KICKOFF_IDS = frozenset({41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 102, 107, 108, 410})
PUNT_IDS = frozenset({2, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 86})
FIELD_GOAL_IDS = frozenset({69, 70, 71, 88})
SACK_IDS = frozenset({20, 83, 84, 103})
PASS_IDS = frozenset({14, 15, 16, 19, 21, 22, 23, 24, 111, 112, 113, 115})
RUN_IDS = frozenset({10, 11, 12, 13})
FIRST_DOWN_IDS = frozenset({3, 4, 5})
PENALTY_ID = 93
TIMEOUT_ID = 68
#: Touchdown stat ids → who scored relative to the play's posteam ("off" or "def").
TOUCHDOWN_IDS: dict[int, str] = {
    11: "off", 13: "off", 16: "off", 22: "off", 24: "off", 56: "off", 64: "off", 108: "off",
    26: "def", 28: "def", 60: "def", 62: "def", 34: "def", 36: "def", 46: "def", 48: "def",
}
TURNOVER_IDS = frozenset({19, 25, 26, 106})
SAFETY_ID = 89
FG_GOOD_ID = 70
XP_GOOD_ID = 72
TWO_POINT_GOOD_IDS = frozenset({75, 77})
DEF_TWO_POINT_ID = 403
#: Stat ids whose ``yards`` make up the offense's yards gained on run / pass / sack plays.
YARDS_IDS = frozenset({10, 11, 12, 13, 15, 16, 20})

_RE_ADMIN = re.compile(r"timeout|end (of )?(quarter|game|half)|two-minute warning", re.IGNORECASE)
_RE_NOPLAY = re.compile(r"\bNo Play\b", re.IGNORECASE)


def is_administrative(stat_ids: set[int], desc: str, note: str | None) -> bool:
    """Timeouts, end of quarter/half/game and two-minute warnings: clock events, not plays."""
    if stat_ids - {TIMEOUT_ID}:
        return False
    if note and note.upper() == "TIMEOUT":
        return True
    return bool(_RE_ADMIN.search(desc))


def play_type(stat_ids: set[int], desc: str, note: str | None) -> str:
    """Classify one (non-administrative) play into one of :data:`PLAY_TYPES`."""
    low = desc.lower()
    if _RE_NOPLAY.search(desc):
        return "no_play"
    if stat_ids & TWO_POINT_IDS or "two-point conversion attempt" in low or note in ("2PS", "2PR", "2PPF", "2PRF"):
        return "two_point"
    if stat_ids & EXTRA_POINT_IDS or note in ("XP", "XPM", "XPB", "XPA") or "extra point" in low:
        return "extra_point"
    if stat_ids & KICKOFF_IDS or note == "KICKOFF" or " kicks " in low:
        return "kickoff"
    if stat_ids & PUNT_IDS or note in ("PUNT", "PUNTB") or " punts " in low:
        return "punt"
    if stat_ids & FIELD_GOAL_IDS or note in ("FG", "FGM", "FGB") or "field goal" in low:
        return "field_goal"
    if "spiked the ball" in low or " spike" in low:
        return "spike"
    if "kneels" in low:
        return "kneel"
    if stat_ids & SACK_IDS or " sacked" in low:
        return "sack"
    if stat_ids & PASS_IDS or " pass " in low:
        return "pass"
    if stat_ids & RUN_IDS or "scrambles" in low:
        return "run"
    if PENALTY_ID in stat_ids or "penalty" in low:
        return "no_play"
    return "other"
