"""The README's campaign and worker examples name real commands and options (they cannot drift), and its
sweep example is the shipped demo sweep's format."""

from __future__ import annotations

import re
from pathlib import Path

import typer

from scrimmage.cli.main import app

ROOT = Path(__file__).resolve().parents[2]


def section() -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index("### `scrimmage campaign` and `scrimmage worker`")
    return text[start:text.index("\n### ", start + 10)]


def examples() -> list[list[str]]:
    lines = []
    for block in re.findall(r"```bash\n(.*?)```", section(), flags=re.S):
        for line in block.splitlines():
            line = line.split("  #")[0].strip()
            if line.startswith("scrimmage "):
                lines.append(line.split()[1:])
    return lines


def test_every_example_names_a_real_command_and_real_options():
    root = typer.main.get_command(app)
    found = examples()
    assert len(found) >= 10
    commands = set()
    for words in found:
        words = [w.strip("[]") for w in words]
        if words[0] == "--workdir":
            words = words[2:]
        group = root
        command = None
        for word in words:
            sub = getattr(command or group, "commands", {}).get(word) if hasattr(command or group, "commands") else None
            if sub is None:
                break
            command = sub
        assert command is not None and not hasattr(command, "commands"), words
        commands.add(command.name)
        options = {opt for param in command.params for opt in param.opts}
        named = {w.split("=")[0] for w in words if w.startswith("--")}
        assert named <= options | {"--help"}, (words, named - options)
    assert {"submit", "status", "logs", "retry", "cancel", "results", "server", "worker"} <= commands


def test_the_sweep_example_matches_the_demo_sweep():
    import yaml

    block = re.search(r"```yaml\n(.*?)```", section(), flags=re.S).group(1)
    shown = yaml.safe_load(block)
    shipped = yaml.safe_load((ROOT / "recipes" / "campaign-demo.yaml").read_text())
    assert shown["campaign"] == shipped["campaign"]
    assert [p["name"] for p in shown["phases"]] == [p["name"] for p in shipped["phases"]]
    assert shown["phases"][1]["base"] == shipped["phases"][1]["base"]
