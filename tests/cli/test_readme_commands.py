"""The README's command examples run as written, so they cannot drift.

Quick commands (``config``, ``list``, ``runs``) run in a process of their own on an empty workdir. The
football commands (``data nfl``, ``data cfb``, ``train``, ``predict``, ``simulate``) run in-process from a
scratch checkout laid out like the README's: ``recipes/`` and ``../shared`` where the README's relative
paths expect them, and the default workdir ``./scrimmage-runs`` holding a copy of the session's NFL ingest
(and fitted empirical sampler), so ``data nfl`` finds its cache. What the suite's budget cannot afford is
changed in the open, by :func:`within_budget` (one epoch, tracking off, ``--n 4``, ``--sims 4``), and the
README's placeholders (a run id, ``fixtures.csv``, ``my_games/``) become real ones. A football example this
file does not know how to run fails :func:`test_every_football_example_is_run`: teach it here.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scrimmage.cli.main import app
from tests.football.conftest import empirical, tiny_hierarchical  # noqa: F401  (session fixtures shared with football)

ROOT = Path(__file__).resolve().parents[2]
SCRIMMAGE = str(Path(sys.executable).with_name("scrimmage"))
QUICK = ("config show", "config validate", "list", "runs")
"""Commands whose README examples run in well under a second each on an empty workdir."""
FOOTBALL = ("data nfl", "data cfb", "train recipes/nfl-", "train recipes/cfb-", "predict", "simulate")
"""The football sections' commands (other sections' examples belong to their own tests)."""
PREGAME_RUN = "nfl-pregame_mlp_mlp-form_20261122_101500"
HIERARCHICAL_RUN = "nfl-hierarchical_hierarchical_lstm-64-32_20261123_020336"
TINY_TRAINING = ["-o", "trainer.epochs=1", "-o", "tracking.enabled=false"]
FIXTURES = "date,home,away\n2020-09-10,KC,HOU\n2020-09-13,NE,MIA\n"


def readme_commands(prefixes: tuple[str, ...]) -> list[str]:
    """The ``scrimmage ...`` lines of the README's bash blocks (continuations joined, comments and pipes cut)."""
    blocks = re.findall(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)
    lines = [line.split("  #")[0].split(" | ")[0].strip()
             for block in blocks for line in block.replace("\\\n", " ").splitlines()]
    return [" ".join(line.split()) for line in lines
            if line.startswith("scrimmage ") and line.split(" ", 1)[1].startswith(prefixes)]


def test_the_readme_shows_quick_commands():
    assert len(readme_commands(QUICK)) >= 5


@pytest.mark.parametrize("command", readme_commands(QUICK))
def test_a_readme_command_runs_as_written(command, tmp_path):
    args = shlex.split(command)[1:]
    proc = subprocess.run([SCRIMMAGE, "--workdir", str(tmp_path), *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr


# ---- the football examples -----------------------------------------------------------------------------------
def within_budget(args: list[str]) -> list[str]:
    """The changes the suite's budget needs: training for one epoch without tracking (a resumed run: to its
    second epoch), few simulations."""
    out = list(args)
    for option, value in (("--n", "4"), ("--sims", "4")):
        if option in out:
            out[out.index(option) + 1] = value
    if out[0] == "train":
        out += ["-o", "trainer.epochs=2", "-o", "tracking.enabled=false"] if "--resume" in out else TINY_TRAINING
    return out


def test_every_football_example_is_run():
    commands = readme_commands(FOOTBALL)
    assert len(commands) >= 15
    for command in commands:
        assert how_to_run(command) is not None, f"tests/cli/test_readme_commands.py cannot run the README's `{command}`"


def how_to_run(command: str) -> str | None:
    """Which setup an example needs (None: unknown, see the module docstring)."""
    args = shlex.split(command)[1:]
    if "--resume" in args:
        return "an interrupted run"
    if args[0] == "predict":
        return "a hierarchical run" if HIERARCHICAL_RUN in args else "a pregame run"
    if args[:2] == ["data", "nfl"] or args[:2] == ["data", "cfb"] or args[0] in ("train", "simulate"):
        return "the ingest"
    return None


@pytest.fixture
def checkout(tmp_path, monkeypatch, full_ingest, request):
    """A scratch checkout (``recipes/``, ``../shared``) whose default workdir holds the session's ingest and fitted
    empirical sampler; the cwd."""
    _, _, source = full_ingest
    request.getfixturevalue("empirical")  # fitted once, cached in the ingest's workdir
    (tmp_path / "repo").mkdir()
    repo = tmp_path / "repo"
    (repo / "recipes").symlink_to(ROOT / "recipes")
    if (ROOT.parent / "shared").exists():
        (tmp_path / "shared").symlink_to(ROOT.parent / "shared")
    workdir = repo / "scrimmage-runs"
    for part in ("data", "simulate"):
        shutil.copytree(source / part, workdir / part)
    monkeypatch.chdir(repo)
    monkeypatch.delenv("SCRIMMAGE_HOME", raising=False)
    return repo


def invoke(args: list[str]):
    result = CliRunner().invoke(app, args)
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    return result, output


def train_tiny_pregame(*extra: str) -> str:
    """The README's first ``train`` example within the budget (plus ``extra``): its run id."""
    result, output = invoke(within_budget(["train", "recipes/nfl-pregame.yaml", *extra, "--json"]))
    assert result.exit_code in (0, 75), output  # 75: stopped by a session budget
    return json.loads(result.stdout.strip().splitlines()[-1]).get("run_id") or next(
        p.name for p in Path("scrimmage-runs/runs").iterdir())


def needs(path: Path, what: str) -> None:
    if not path.exists():
        pytest.skip(f"{what} not found at {path} (../shared/data is absent)")


def example_id(command: str) -> str:
    return re.sub(r"[^\w.=-]+", "_", command.removeprefix("scrimmage "))[:90]


@pytest.mark.slow
@pytest.mark.parametrize("command", readme_commands(FOOTBALL), ids=example_id)
def test_a_football_example_runs_as_written(command, request):
    setup = how_to_run(command)
    assert setup is not None, command
    repo = request.getfixturevalue("checkout")
    args = shlex.split(command)[1:]
    if "../shared/data" in command:
        needs(repo.parent / "shared" / "data", "the shared data")
    if "spreadspoke_scores.csv" in args:
        needs(ROOT.parent / "shared" / "data" / "nfl_lines" / "spreadspoke_scores.csv", "the betting lines")
        (repo / "spreadspoke_scores.csv").symlink_to(ROOT.parent / "shared" / "data" / "nfl_lines" / "spreadspoke_scores.csv")
    if "my_games/" in args:
        from tests.football.conftest import make_source

        make_source(repo / "my_games")
    if "fixtures.csv" in args:
        (repo / "fixtures.csv").write_text(FIXTURES)
    if setup == "an interrupted run":  # what --resume continues: a run a session budget stopped, or (on a fast
        run_id = train_tiny_pregame("--session-budget", "1s")  # machine, its one epoch done first) one it extends
        assert json.loads(Path(f"scrimmage-runs/runs/{run_id}/run.json").read_text())["status"] in ("interrupted", "finished")
        args = [run_id if a == PREGAME_RUN else a for a in args]
    elif setup == "a pregame run":
        run_id = train_tiny_pregame()
        args = [a.replace(PREGAME_RUN, run_id).replace("<run_id>", run_id) for a in args]
    elif setup == "a hierarchical run":
        tiny = request.getfixturevalue("tiny_hierarchical")  # the session's tiny run, copied with its caches
        shutil.rmtree(repo / "scrimmage-runs")
        shutil.copytree(tiny.workdir, repo / "scrimmage-runs")
        args = [tiny.run_id if a == HIERARCHICAL_RUN else a for a in args]
    args = within_budget(args)
    result, output = invoke(args)
    assert result.exit_code == 0, f"{shlex.join(args)}\n{output[-3000:]}"
    assert "Traceback" not in output
    if "--json" in args:
        payload = json.loads(result.stdout.strip().splitlines()[-1])
        assert "error" not in payload
        if args[:2] == ["data", "nfl"]:
            assert "rules" in payload  # README: `scrimmage data nfl --json | tail -1 | jq .rules`
    if "--plot" in args:
        assert (repo / args[args.index("--plot") + 1]).stat().st_size > 1000
