"""CFBD ``play_type`` strings → the project's play types, and the points of a play.

CFBD names each play (``"Rush"``, ``"Pass Reception"``, ``"Kickoff Return (Offense)"`` ...);
:data:`CFBD_PLAY_TYPES` maps every name CFBD uses to one of
:data:`scrimmage.football.nfl.playtypes.PLAY_TYPES` (or ``admin``: not a play, dropped by rule
``administrative_entries``; or ``text``: the name does not say, the play text decides). The
text then refines a few (:func:`classify`): kneel-downs are recorded as ``Rush`` and spikes as
``Pass Incompletion``; one feed (games with negative ids) types kickoffs as ``Punt``; fumbles
and safeties say nothing of the play they happened on. A name missing from the table is
``other`` and counted by rule ``unknown_play_type`` (never silently dropped).

Counts per CFBD type in the 2024 weeks 0-3 sample (44,727 rows; what they become):

====================================  ======  ==========================================
CFBD play_type                        rows    project play type
====================================  ======  ==========================================
Rush                                  16,133  run (kneel when the text is a kneel-down)
Pass Reception                         8,363  pass
Pass Incompletion                      5,633  pass (spike when the text is a spike)
Punt                                   2,409  punt (kickoff when the text is a kickoff)
Penalty                                2,400  no_play (penalty-only or nullified snaps)
Kickoff                                1,948  kickoff
Timeout                                1,938  admin (dropped)
Sack                                     859  sack
Rushing Touchdown                        805  run
Passing Touchdown                        788  pass
Kickoff Return (Offense)                 781  kickoff
Field Goal Good                          542  field_goal
End Period                               527  admin (dropped)
Pass Interception Return                 260  pass
Fumble Recovery (Own)                    255  text (run / pass / sack / punt ...)
End of Half                              224  admin (dropped)
End of Game                              220  admin (dropped)
Field Goal Missed                        197  field_goal
Fumble Recovery (Opponent)               163  text
Interception                              87  pass
Uncategorized                             49  text (extra points; a two-minute warning is admin)
Interception Return Touchdown             41  pass
Blocked Punt                              26  punt
Fumble Return Touchdown                   22  text
Safety                                    17  text (sack / run; "Team Safety" → other)
Blocked Field Goal                        14  field_goal
End of Regulation                          7  admin (dropped)
Kickoff Return Touchdown                   7  kickoff
Punt Return Touchdown                      5  punt
Blocked Punt Touchdown                     3  punt
placeholder                                1  admin (a coin-toss note; dropped)
Blocked Field Goal Touchdown               1  field_goal
Missed Field Goal Return                   1  field_goal
Defensive 2pt Conversion                   1  two_point
====================================  ======  ==========================================

Points (:func:`points`) come from the type and the text, not from the CFBD score columns,
which on scoring plays show the score after the play but on the rows right after (timeouts,
penalties, the kickoff) often the score before: touchdowns 6 (plus the try read from the
parenthesised end of the text: ``(X KICK)`` 1, ``(... Two-Point Conversion)`` 2, ``PAT MISSED``
/ ``failed`` / ``BLOCKED`` 0), field goals 3, safeties 2 (to the defense), separate
``extra point is good`` rows 1. Who scored follows the type (a return touchdown is the
defense's). The parser uses the score columns only where the text cannot say, each use a
counted rule: the side of a touchdown on a fumble or sack (``scoring_side_from_score_columns``),
points the columns keep to the end of the game that the text lacks (an unwritten try, a
scoring play missing from the export: ``points_only_in_score_columns``) or gives in excess
(``points_not_in_score_columns``), both bounded by the games file's final.
"""

from __future__ import annotations

import re

from scrimmage.football.common.playtypes import PLAY_TYPES

ADMIN = "admin"
TEXT = "text"

#: CFBD play_type → project play type (:data:`PLAY_TYPES`), ``admin`` or ``text``.
CFBD_PLAY_TYPES: dict[str, str] = {
    # scrimmage plays
    "Rush": "run", "Rushing Touchdown": "run", "Two Point Rush": "two_point",
    "Pass": "pass", "Pass Reception": "pass", "Pass Completion": "pass", "Pass Incompletion": "pass",
    "Passing Touchdown": "pass", "Pass Interception": "pass", "Pass Interception Return": "pass",
    "Interception": "pass", "Interception Return Touchdown": "pass", "Two Point Pass": "two_point",
    "Sack": "sack",
    # special teams
    "Punt": "punt", "Blocked Punt": "punt", "Punt Return Touchdown": "punt", "Blocked Punt Touchdown": "punt",
    "Kickoff": "kickoff", "Kickoff Return (Offense)": "kickoff", "Kickoff Return (Defense)": "kickoff",
    "Kickoff Return Touchdown": "kickoff",
    "Field Goal Good": "field_goal", "Field Goal Missed": "field_goal", "Blocked Field Goal": "field_goal",
    "Blocked Field Goal Touchdown": "field_goal", "Missed Field Goal Return": "field_goal",
    "Missed Field Goal Return Touchdown": "field_goal",
    "Extra Point Good": "extra_point", "Extra Point Missed": "extra_point", "Blocked PAT": "extra_point",
    "2pt Conversion": "two_point", "Defensive 2pt Conversion": "two_point",
    "Penalty": "no_play",
    # the name says nothing of the play: the text decides
    "Fumble Recovery (Own)": TEXT, "Fumble Recovery (Opponent)": TEXT, "Fumble Return Touchdown": TEXT,
    "Safety": TEXT, "Offensive 1pt Safety": TEXT, "Uncategorized": TEXT,
    # not plays
    "Timeout": ADMIN, "End Period": ADMIN, "End of Half": ADMIN, "End of Game": ADMIN,
    "End of Regulation": ADMIN, "Start of Period": ADMIN, "placeholder": ADMIN, "Coin Toss": ADMIN,
}
assert all(v in (*PLAY_TYPES, ADMIN, TEXT) for v in CFBD_PLAY_TYPES.values())

#: Touchdown types whose points are the defense's (the play's offense is the team that lost the
#: ball or kicked; CFBD lists a kickoff under the kicking team).
DEFENSIVE_TD_TYPES = frozenset({
    "Interception Return Touchdown", "Fumble Return Touchdown", "Punt Return Touchdown",
    "Blocked Punt Touchdown", "Blocked Field Goal Touchdown", "Missed Field Goal Return Touchdown",
    "Kickoff Return Touchdown",
})
OFFENSIVE_TD_TYPES = frozenset({"Rushing Touchdown", "Passing Touchdown"})
#: Types on which a touchdown in the text is the defense's (returns of kicks and interceptions).
_DEFENSIVE_TD_CONTEXT = frozenset({
    "Punt", "Blocked Punt", "Kickoff", "Kickoff Return (Offense)", "Field Goal Missed", "Blocked Field Goal",
    "Missed Field Goal Return", "Pass Interception Return", "Interception", "Pass Interception",
})
#: Types whose touchdown side the parser resolves from the score columns (fallback: the side here).
AMBIGUOUS_TD_TYPES: dict[str, str] = {
    "Fumble Recovery (Opponent)": "def", "Sack": "def", "Safety": "def", "Uncategorized": "off",
    "Fumble Recovery (Own)": "off",
}
INTERCEPTION_TYPES = frozenset({
    "Pass Interception Return", "Interception", "Interception Return Touchdown", "Pass Interception",
})
LOST_FUMBLE_TYPES = frozenset({"Fumble Recovery (Opponent)", "Fumble Return Touchdown"})

_RE_KNEEL = re.compile(r"\bkneel(s|ed)?\b|\bkneel down\b", re.IGNORECASE)
_RE_SPIKE = re.compile(r"\bspike[sd]?\b", re.IGNORECASE)
_RE_KICKOFF = re.compile(r"\bkickoff\b|\bkicks \d+ yards? from\b|\bon-?side kick\b", re.IGNORECASE)
_RE_PUNT = re.compile(r"\bpunts?\b", re.IGNORECASE)
_RE_FG = re.compile(r"\bFG\b|\bfield goal\b", re.IGNORECASE)
_RE_XP = re.compile(r"\bextra point\b|\bPAT\b|\bkick attempt\b", re.IGNORECASE)
_RE_TWO = re.compile(r"two[- ]point|\b2[- ]?pt\b|\b2-point\b", re.IGNORECASE)
_RE_ADMIN_TEXT = re.compile(r"two[- ]minute warning|\bwon the toss\b|\btimeout\b|\bend of (the )?(quarter|half|game)\b", re.IGNORECASE)
_RE_SACK = re.compile(r"\bsacked\b", re.IGNORECASE)
_RE_PASS = re.compile(r"\bpass(es|ed)?\b", re.IGNORECASE)
_RE_RUN = re.compile(r"\brun\b|\brush(es|ed)?\b|\bscrambles?\b|\bkeeper\b", re.IGNORECASE)
_RE_NULLIFIED = re.compile(r"\bnullified\b|\bno play\b", re.IGNORECASE)
_RE_TD = re.compile(r"\bfor a TD\b|\bTOUCHDOWN\b", re.IGNORECASE)
_RE_FG_GOOD = re.compile(r"\bFG GOOD\b|\bfield goal (attempt )?is good\b", re.IGNORECASE)
_RE_SAFETY = re.compile(r"\bsafety\b", re.IGNORECASE)
_RE_TRY = re.compile(r"\(([^()]*)\)\s*$")
_RE_FAILED = re.compile(r"\bmiss(ed)?\b|\bfail(ed)?\b|\bblock(ed)?\b|\bno good\b|\bincomplete\b|\bintercepted\b", re.IGNORECASE)
_RE_GOOD = re.compile(r"\bgood\b|\bsuccessful\b|\bsuccess\b", re.IGNORECASE)
_RE_FIRST_DOWN = re.compile(r"\b1st down\b|\bfirst down\b", re.IGNORECASE)
_RE_INTERCEPTED = re.compile(r"\bintercepted\b", re.IGNORECASE)
_RE_PENALTY = re.compile(r"\bpenalty\b", re.IGNORECASE)
_RE_BLOCKED = re.compile(r"\bblocked\b", re.IGNORECASE)
#: The play's own yardage in a text that also carries a penalty ("run for 3 yds ... Penalty").
_RE_PLAY_YARDS = re.compile(
    r"for (?:(?P<loss>a loss of )|(?P<minus>-))?(?P<n>\d+) (?:yd|yds|yard|yards)\b|(?P<nogain>for no gain)", re.IGNORECASE
)


def _from_text(text: str) -> str:
    """A play type read from the text alone (types that do not say: fumbles, safeties, ...)."""
    if _RE_ADMIN_TEXT.search(text) and not _RE_PASS.search(text) and not _RE_RUN.search(text):
        return ADMIN
    if _RE_TWO.search(text):
        return "two_point"
    if _RE_XP.search(text) and not _RE_RUN.search(text) and not _RE_PASS.search(text):
        return "extra_point"
    if _RE_KICKOFF.search(text):
        return "kickoff"
    if _RE_PUNT.search(text):
        return "punt"
    if _RE_FG.search(text):
        return "field_goal"
    if _RE_KNEEL.search(text):
        return "kneel"
    if _RE_SACK.search(text):
        return "sack"
    if _RE_PASS.search(text):
        return "pass"
    if _RE_RUN.search(text):
        return "run"
    return "other"


def classify(cfbd_type: str, text: str) -> tuple[str, bool, bool]:
    """``(play type, from_text, known)``: the project type (or ``admin``); ``from_text`` when the
    text changed or decided it; ``known`` is False for a CFBD name the table lacks."""
    base = CFBD_PLAY_TYPES.get(cfbd_type)
    if base is None:
        return _from_text(_RE_TRY.sub("", text)), True, False
    if base == ADMIN:
        return ADMIN, False, True
    if base == TEXT:
        # the try written after a touchdown ("(X PAT failed)") says nothing of the play itself
        return _from_text(_RE_TRY.sub("", text)), True, True
    if base == "run" and _RE_KNEEL.search(text):
        return "kneel", True, True
    if base == "pass" and _RE_SPIKE.search(text) and not _RE_PENALTY.search(text):
        return "spike", True, True
    if base == "punt" and _RE_KICKOFF.search(text) and not _RE_PUNT.search(text):
        return "kickoff", True, True
    return base, False, True


def is_interception(cfbd_type: str, text: str) -> bool:
    return cfbd_type in INTERCEPTION_TYPES or bool(_RE_INTERCEPTED.search(text))


def is_turnover(cfbd_type: str, play_type: str, text: str) -> bool:
    """Interceptions and lost fumbles (a snap nullified by a penalty is none)."""
    if play_type == "no_play":
        return False
    return is_interception(cfbd_type, text) or cfbd_type in LOST_FUMBLE_TYPES


def is_penalty(cfbd_type: str, text: str) -> bool:
    return cfbd_type == "Penalty" or bool(_RE_PENALTY.search(text))


def is_blocked(text: str) -> bool:
    return bool(_RE_BLOCKED.search(text))


def says_first_down(text: str) -> bool:
    return bool(_RE_FIRST_DOWN.search(text))


def play_yards(text: str) -> int | None:
    """The yardage of the play itself, read from the first ``for N yds`` / ``for a loss of N``
    / ``for no gain`` of the text (``None`` when it has none)."""
    m = _RE_PLAY_YARDS.search(text)
    if not m:
        return None
    if m.group("nogain"):
        return 0
    n = int(m.group("n"))
    return -n if (m.group("loss") or m.group("minus")) else n


def try_points(text: str) -> int:
    """Points of the try written at the end of a touchdown's text (0 when none is written)."""
    m = _RE_TRY.search(text.strip())
    if not m:
        return 0
    inner = m.group(1)
    if _RE_TWO.search(inner) or "conversion" in inner.lower():
        return 0 if _RE_FAILED.search(inner) else 2
    if re.search(r"\bkick\b|\bPAT\b|extra point", inner, re.IGNORECASE):
        return 0 if _RE_FAILED.search(inner) else 1
    return 0


def touchdown_side(cfbd_type: str, text: str, play_type: str) -> str | None:
    """``"off"``, ``"def"``, ``"?"`` (the parser resolves it) or ``None`` (no touchdown)."""
    if cfbd_type in OFFENSIVE_TD_TYPES:
        return "off"
    if cfbd_type in DEFENSIVE_TD_TYPES:
        return "def"
    if play_type in ("no_play", "extra_point", "two_point"):
        return None
    if not _RE_TD.search(text) or _RE_NULLIFIED.search(text):
        return None
    if cfbd_type in _DEFENSIVE_TD_CONTEXT or play_type in ("punt", "kickoff"):
        return "def"
    if cfbd_type in AMBIGUOUS_TD_TYPES or play_type == "other":
        return "?"
    return "off"


def points(cfbd_type: str, play_type: str, text: str) -> tuple[str | None, int, int, int]:
    """``(touchdown side, touchdown points incl. the try, other offense points, other defense
    points)`` of one play; the touchdown's points go to the side the first item names."""
    td = touchdown_side(cfbd_type, text, play_type)
    off = dfn = 0
    td_points = 6 + try_points(text) if td else 0
    if td is None and play_type != "no_play":
        if cfbd_type == "Field Goal Good" or (play_type == "field_goal" and _RE_FG_GOOD.search(text)):
            off += 3
        elif cfbd_type == "Safety" or (_RE_SAFETY.search(text) and not _RE_NULLIFIED.search(text)):
            dfn += 2
        elif cfbd_type == "Defensive 2pt Conversion":
            dfn += 2
        elif play_type == "extra_point":
            off += 0 if _RE_FAILED.search(text) or not _RE_GOOD.search(text) else 1
        elif play_type == "two_point":
            off += 2 if _RE_GOOD.search(text) and not _RE_FAILED.search(text) else 0
    return td, td_points, off, dfn
