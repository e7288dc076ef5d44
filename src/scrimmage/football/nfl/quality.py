"""Explicit data-quality rules for the Game Center play-by-play: detect, then drop/repair/flag.

Every known problem of the bundled data (see the shared data README) is handled by a named rule
here, and every rule counts what it saw and did, so the ingest summary shows it. Nothing is
fixed silently. A rule lives in one place: its declaration (name, action, description) in
:data:`RULES`, its detection and count in this module (the ingest only calls it), and a test
in tests/football/test_quality_rules.py that makes it fire. Rule actions:

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

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from scrimmage.football.common.teams import ALIASES
from scrimmage.football.nfl.parse import ParsedGame, sec_remaining_game, sec_remaining_half
from scrimmage.football.nfl.source import ScheduleGame, entry_from_eid

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

DROPPED, REPAIRED, FLAGGED = "dropped", "repaired", "kept-flagged"
ACTIONS = (DROPPED, REPAIRED, FLAGGED)


@dataclass(frozen=True)
class Rule:
    """One known problem of the source: its name (the key of its count in the ingest summary),
    what the ingest does about it (one of :data:`ACTIONS`) and what it covers."""

    name: str
    action: str
    description: str


#: Every rule, in the order the ingest summary lists them. A rule is declared here once and
#: counted by name (``counts[name]``); tests/football/test_quality_rules.py makes each one fire.
RULES: dict[str, Rule] = {rule.name: rule for rule in (
    Rule("schedule_game_without_data", DROPPED,
         "scheduled game with no play-by-play file (e.g. all 2018 playoffs): not in the tables"),
    Rule("unreadable_game_file", DROPPED,
         "bundled .gz that does not decompress/parse (two empty 2018 preseason files): skipped"),
    Rule("game_without_schedule", FLAGGED,
         "game file whose eid is not in the schedule: kept; date and season from the eid, season type and "
         "week from the scheduled games of the same week (else the calendar), teams from the game"),
    Rule("schedule_season_mismatch", FLAGGED,
         "schedule's year field differs from the season derived from the eid date (Jan/Feb → previous season)"),
    Rule("cancelled_game", DROPPED,
         "game with no drives and a 0-0 score (cancelled 2016 Hall of Fame game): dropped"),
    Rule("team_code_alias", REPAIRED,
         "games whose raw codes used an alias (JAC, STL, SD): mapped to JAX, LA, LAC"),
    Rule("administrative_entries", DROPPED,
         "timeouts, end of quarter/half/game, two-minute warnings: not plays"),
    Rule("entries_without_clock", DROPPED,
         "entries with neither a game clock nor any stats (commentary, 'BLANK PLAY')"),
    Rule("play_clock_missing", REPAIRED,
         "real play without a clock: takes the previous play's clock"),
    Rule("duplicate_plays", DROPPED,
         "same quarter, clock, description, down, distance, yard line and team as an earlier play of the game "
         "(detected = games, affected = extra copies)"),
    Rule("missing_yardline", FLAGGED,
         "play without a yard line: yardline_100 is null"),
    Rule("drive_without_plays", FLAGGED,
         "drive listed with no plays (e.g. 2014081503): kept, its quarter taken from its start"),
    Rule("clock_backwards", REPAIRED,
         "clock later than an earlier play in the same quarter: clamped to that clock"),
    Rule("clock_jump_5min", FLAGGED,
         "five minutes or more of clock between consecutive plays of a quarter: games flagged (clock_jump)"),
    Rule("pat_only_in_scoring_summary", REPAIRED,
         "try after a TD (mostly after defensive/return TDs) only in scrsummary: its points are added to the TD play"),
    Rule("known_score_corrections", REPAIRED,
         "final scores the source gets wrong, fixed from a table with sources (KNOWN_CORRECTIONS)"),
    Rule("incomplete_pbp", FLAGGED,
         "play-by-play stops early (last play before Q4, or in Q4 with > 2 min left and no OT): games flagged "
         "pbp_complete=False"),
    Rule("pbp_score_mismatch", FLAGGED,
         "score rebuilt from the plays differs from the final after the repairs: games flagged "
         "pbp_score_consistent=False"),
)}


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
    return {name: RuleCount(rule.action) for name, rule in RULES.items()}


def merge_counts(into: dict[str, RuleCount], other: dict[str, RuleCount]) -> None:
    """Add the counts of ``other`` (e.g. from a worker process) to ``into``."""
    for name, c in other.items():
        tgt = into[name]
        tgt.detected += c.detected
        tgt.affected += c.affected
        tgt.examples.extend(c.examples[: max(0, 5 - len(tgt.examples))])


def count_unreadable(file_name: str, counts: dict[str, RuleCount]) -> None:
    """Rule ``unreadable_game_file`` (the ingest skips the file, or stops on a user's folder)."""
    counts["unreadable_game_file"].add(example=file_name)


def check_source(
    game_id: str, game: dict[str, Any], entry: ScheduleGame | None, counts: dict[str, RuleCount],
    schedule: dict[str, ScheduleGame] | None = None,
) -> ScheduleGame:
    """Rules on a readable game file before it is parsed: team-code aliases (the parser maps them)
    and its schedule entry (missing, or listed under another season). Returns the entry to parse
    the game with: its own, or for a game the schedule lacks (rule ``game_without_schedule``,
    kept and counted) one derived from the eid (:func:`source.entry_from_eid`)."""
    raw_codes = {(game.get("home") or {}).get("abbr"), (game.get("away") or {}).get("abbr")}
    if raw_codes & set(ALIASES):
        counts["team_code_alias"].add()
    if entry is None:
        counts["game_without_schedule"].add(example=game_id)
        return entry_from_eid(game_id, game, schedule or {})
    if entry.season_mismatch:
        counts["schedule_season_mismatch"].add(example=game_id)
    return entry


def check_schedule_coverage(scheduled: Iterable[str], with_files: Iterable[str], counts: dict[str, RuleCount]) -> None:
    """Rule ``schedule_game_without_data``: scheduled games that have no file."""
    for game_id in sorted(set(scheduled) - set(with_files)):
        counts["schedule_game_without_data"].add(example=game_id)


def is_cancelled(parsed: ParsedGame) -> bool:
    """No drives at all and a 0-0 final."""
    g = parsed.game
    return not parsed.plays and g["home_score"] == 0 and g["away_score"] == 0


def drop_cancelled(parsed: ParsedGame, counts: dict[str, RuleCount]) -> bool:
    """Rule ``cancelled_game``: True (and counted) when the game is to be dropped."""
    if not is_cancelled(parsed):
        return False
    counts["cancelled_game"].add(example=parsed.game["game_id"])
    return True


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
