"""Explicit data-quality rules for the Game Center play-by-play: detect, then drop/repair/flag.

Every known problem of the bundled data (see the shared data README) is handled by a named rule
here, and every rule counts what it saw and did, so the ingest summary shows it. Nothing is
fixed silently. Rule actions:

* ``dropped``: rows removed (administrative entries, duplicated plays, cancelled game, ...);
* ``repaired``: values changed by a documented rule (score corrections, missing extra points
  restored from the scoring summary, clock running backwards clamped, codes canonicalised);
* ``kept-flagged``: rows kept and marked (null yard line, clock jumps, incomplete play-by-play,
  score not rebuilt from the plays).

Documented conventions (not problems): on kickoffs and punts Game Center's ``posteam`` is the
kicking team, and the tables keep it that way; ``yardline_100`` counts from the offense's own
goal line (own 20 → 20, opponent's 20 → 80).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scrimmage.data.nfl.parse import ParsedGame, sec_remaining_game, sec_remaining_half

#: Final scores the source gets wrong, with the fix and a public source. Applied by rule
#: ``known_score_corrections`` (quarter and final are fixed together so they still add up).
KNOWN_CORRECTIONS: dict[str, dict[str, Any]] = {
    "2016112701": {
        "set": {"away_q4": 5, "away_score": 14},
        "why": "CIN at BAL 2016-11-27 ended 19-14: BAL took an intentional safety on the last play "
        "(Game Center records 19-12). Source: NFL.com / pro-football-reference boxscore "
        "201611270rav.",
    },
}

CLOCK_JUMP_SECONDS = 300
INCOMPLETE_LAST_PLAY_SECONDS = 120

RULE_ACTIONS: dict[str, str] = {
    "schedule_game_without_data": "dropped",
    "unreadable_game_file": "dropped",
    "game_without_schedule": "kept-flagged",
    "schedule_season_mismatch": "kept-flagged",
    "cancelled_game": "dropped",
    "team_code_alias": "repaired",
    "administrative_entries": "dropped",
    "entries_without_clock": "dropped",
    "play_clock_missing": "repaired",
    "duplicate_plays": "dropped",
    "missing_yardline": "kept-flagged",
    "drive_without_plays": "kept-flagged",
    "clock_backwards": "repaired",
    "clock_jump_5min": "kept-flagged",
    "pat_only_in_scoring_summary": "repaired",
    "known_score_corrections": "repaired",
    "incomplete_pbp": "kept-flagged",
    "pbp_score_mismatch": "kept-flagged",
}

RULE_DOCS: dict[str, str] = {
    "schedule_game_without_data": "scheduled game with no play-by-play file (e.g. all 2018 playoffs): not in the tables",
    "unreadable_game_file": "bundled .gz that does not decompress/parse (two empty 2018 preseason files): skipped",
    "game_without_schedule": "game file whose eid is not in the schedule: season/week derived from the eid",
    "schedule_season_mismatch": "schedule's year field differs from the season derived from the eid date (Jan/Feb → previous season)",
    "cancelled_game": "game with no drives and a 0-0 score (cancelled 2016 Hall of Fame game): dropped",
    "team_code_alias": "games whose raw codes used an alias (JAC, STL, SD): mapped to JAX, LA, LAC",
    "administrative_entries": "timeouts, end of quarter/half/game, two-minute warnings: not plays",
    "entries_without_clock": "entries with neither a game clock nor any stats (commentary, 'BLANK PLAY')",
    "play_clock_missing": "real play without a clock: takes the previous play's clock",
    "duplicate_plays": "same quarter, clock, description, down, distance, yard line and team as an earlier play of the game (detected = games, affected = extra copies)",
    "missing_yardline": "play without a yard line: yardline_100 is null",
    "drive_without_plays": "drive listed with no plays (e.g. 2014081503): kept, its quarter taken from its start",
    "clock_backwards": "clock later than an earlier play in the same quarter: clamped to that clock",
    "clock_jump_5min": "five minutes or more of clock between consecutive plays of a quarter: games flagged (clock_jump)",
    "pat_only_in_scoring_summary": "try after a TD (mostly after defensive/return TDs) only in scrsummary: its points are added to the TD play",
    "known_score_corrections": "final scores the source gets wrong, fixed from a table with sources (KNOWN_CORRECTIONS)",
    "incomplete_pbp": "play-by-play stops early (last play before Q4, or in Q4 with > 2 min left and no OT): games flagged pbp_complete=False",
    "pbp_score_mismatch": "score rebuilt from the plays differs from the final after the repairs: games flagged pbp_score_consistent=False",
}


@dataclass
class RuleCount:
    """What one rule saw (``detected``) and how many rows it changed (``affected``)."""

    action: str
    detected: int = 0
    affected: int = 0
    examples: list[str] = field(default_factory=list)

    def add(self, detected: int = 1, affected: int | None = None, example: str | None = None) -> None:
        self.detected += detected
        self.affected += detected if affected is None else affected
        if example and len(self.examples) < 5:
            self.examples.append(example)

    def to_dict(self) -> dict[str, Any]:
        return {"detected": self.detected, "action": self.action, "affected": self.affected, "examples": self.examples}


def new_counts() -> dict[str, RuleCount]:
    """One zeroed counter per rule."""
    return {name: RuleCount(action) for name, action in RULE_ACTIONS.items()}


def merge_counts(into: dict[str, RuleCount], other: dict[str, RuleCount]) -> None:
    """Add the counts of ``other`` (e.g. from a worker process) to ``into``."""
    for name, c in other.items():
        tgt = into[name]
        tgt.detected += c.detected
        tgt.affected += c.affected
        tgt.examples.extend(c.examples[: max(0, 5 - len(tgt.examples))])


def is_cancelled(parsed: ParsedGame) -> bool:
    """No drives at all and a 0-0 final."""
    g = parsed.game
    return not parsed.plays and g["home_score"] == 0 and g["away_score"] == 0


def clean_game(parsed: ParsedGame, counts: dict[str, RuleCount]) -> ParsedGame:
    """Apply the per-game rules in order; returns the same object with cleaned rows."""
    game = parsed.game
    gid = game["game_id"]

    fix = KNOWN_CORRECTIONS.get(gid)
    if fix:
        game.update(fix["set"])
        counts["known_score_corrections"].add(example=gid)

    # administrative entries and clockless commentary
    kept: list[dict[str, Any]] = []
    n_admin = n_noclock = 0
    for p in parsed.plays:
        if p["play_type"] == "admin":
            n_admin += 1
        elif p["clock"] is None and not p["has_stats"]:
            n_noclock += 1
        else:
            kept.append(p)
    if n_admin:
        counts["administrative_entries"].add(n_admin)
    if n_noclock:
        counts["entries_without_clock"].add(n_noclock, example=gid)

    # duplicated plays
    seen: set[tuple[Any, ...]] = set()
    plays: list[dict[str, Any]] = []
    dups = 0
    for p in kept:
        key = p.pop("_dup_key")
        if key in seen:
            dups += 1
            continue
        seen.add(key)
        plays.append(p)
    if dups:
        counts["duplicate_plays"].add(1, affected=dups, example=gid)

    # clock: fill missing, clamp backwards (per quarter, even if a quarter reappears), flag jumps
    last_clock: dict[int, int] = {}
    prev_q: int | None = None
    backwards = jump = 0
    for p in plays:
        q, c = p["qtr"], p["clock"]
        prev_clock = last_clock.get(q)
        if c is None:
            c = prev_clock if prev_clock is not None else (900 if q <= 4 else 600)
            counts["play_clock_missing"].add(example=gid)
        if prev_clock is not None:
            if c > prev_clock:
                backwards += 1
                c = prev_clock
            elif q == prev_q and prev_clock - c >= CLOCK_JUMP_SECONDS:
                jump += 1
        p["clock"] = c
        last_clock[q] = c
        prev_q = q
        p["sec_remaining_half"] = sec_remaining_half(q, c)
        p["sec_remaining_game"] = sec_remaining_game(q, c)
    if backwards:
        counts["clock_backwards"].add(backwards, example=gid)
    game["clock_jump"] = bool(jump)
    if jump:
        counts["clock_jump_5min"].add(1, affected=jump, example=gid)

    missing_yl = sum(1 for p in plays if p["yardline_100"] is None)
    if missing_yl:
        counts["missing_yardline"].add(missing_yl)

    with_plays = {p["drive_id"] for p in plays}
    empty = sum(1 for d in parsed.drives if d["drive_id"] not in with_plays)
    if empty:
        counts["drive_without_plays"].add(empty, example=gid)

    _repair_pats(parsed, plays, counts)

    # score before each play
    h = a = 0
    for p in plays:
        p["home_score_before"] = h
        p["away_score_before"] = a
        h += p["home_points"]
        a += p["away_points"]
    game["pbp_home_score"] = h
    game["pbp_away_score"] = a
    consistent = h == game["home_score"] and a == game["away_score"]
    game["pbp_score_consistent"] = consistent

    last = plays[-1] if plays else None
    complete = last is not None and (
        last["qtr"] >= 5 or (last["qtr"] == 4 and last["clock"] <= INCOMPLETE_LAST_PLAY_SECONDS)
    )
    game["pbp_complete"] = complete
    if not complete:
        counts["incomplete_pbp"].add(example=gid)
    if not consistent:
        counts["pbp_score_mismatch"].add(example=f"{gid} pbp {h}-{a} final {game['home_score']}-{game['away_score']}")

    for p in plays:
        del p["clock"], p["has_stats"]
    parsed.plays = plays
    return parsed


_PAT_TYPES = ("extra_point", "two_point")
_NEXT_SNAP = ("kickoff", "run", "pass", "sack", "punt", "field_goal", "kneel", "spike")


def _repair_pats(parsed: ParsedGame, plays: list[dict[str, Any]], counts: dict[str, RuleCount]) -> None:
    """Add the try's points from ``scrsummary`` when the plays hold a TD but no try after it."""
    summary = {s.play_id: s for s in parsed.scoring if s.kind == "TD"}
    if not summary:
        return
    home, away = parsed.game["home_team"], parsed.game["away_team"]
    for i, p in enumerate(plays):
        entry = summary.get(p["play_id"])
        if entry is None or not entry.pat_points:
            continue
        has_try = False
        for q in plays[i + 1:]:
            if q["play_type"] in _PAT_TYPES:
                has_try = True
                break
            if q["play_type"] in _NEXT_SNAP:
                break
        if has_try:
            continue
        if entry.team == home:
            p["home_points"] += entry.pat_points
        elif entry.team == away:
            p["away_points"] += entry.pat_points
        else:
            continue
        counts["pat_only_in_scoring_summary"].add(example=f"{parsed.game['game_id']}:{p['play_id']}")
