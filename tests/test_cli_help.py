"""Every ``praesent ... --help`` as an 80-column terminal shows it: a sentence wraps at the edge,
never where the source's docstring line happened to end, and no option name is cut off."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from praesent.cli import app

WIDTH = 80
# rich pads the text by one column on each side and a panel by its border and padding: a line
# may end this many columns before the edge and still be "full" (the next word did not fit).
SLACK = 4


def _commands(group: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    # typer's own copy of click: a group is whatever has subcommands.
    if isinstance(getattr(group, "commands", None), dict):
        for name, command in group.commands.items():
            yield from _commands(command, (*path, name))


COMMANDS = list(_commands(typer.main.get_command(app)))


def _premature_breaks(lines: list[str], width: int) -> list[str]:
    """Lines followed by more of the same paragraph although the next word would have fit."""
    broken = []
    for line, after in pairwise(lines):
        if line.strip() and after.strip():
            room = width - len(line.rstrip())
            if len(after.split()[0]) + 1 < room - SLACK:
                broken.append(f"{line.rstrip()!r} before {after.strip()!r}")
    return broken


def _panel_column(lines: list[str], title: str) -> tuple[list[list[str]], int]:
    """The second column of a rich panel (a command's help): its entries' lines, and its width."""
    start = next(i for i, line in enumerate(lines) if line.startswith(f"╭─ {title} "))
    body = []
    for line in lines[start + 1 :]:
        if line.startswith("╰"):
            break
        body.append(line[1:-1])
    column = min(len(row) - len(row[2:].lstrip(" ")) for row in body if row[2:3] == " ")
    entries: list[list[str]] = []
    for row in body:
        if row[:column].strip():
            entries.append([])
        entries[-1].append(row[column:])
    return entries, len(body[0]) - column


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "praesent")
def test_help_wraps_at_the_edge_only(command: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": str(WIDTH)})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert all(len(line) <= WIDTH for line in lines), result.output
    # The description: the paragraphs between the usage line and the first panel.
    top = lines[: next(i for i, line in enumerate(lines) if line.startswith("╭"))]
    assert not _premature_breaks(top[3:], WIDTH), _premature_breaks(top[3:], WIDTH)
    if any(line.startswith("╭─ Commands ") for line in lines):
        entries, width = _panel_column(lines, "Commands")
        for entry in entries:
            assert not _premature_breaks(entry, width), (command, entry)
    # Nothing is cut off ("--no-customer-infor…" was); "de, en, … or auto" is the text itself.
    assert "…" not in result.output.replace("de, en, … or auto", ""), result.output
