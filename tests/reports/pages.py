"""Checks every report page must pass: one HTML file, figures inline, nothing fetched from elsewhere."""

from __future__ import annotations

import re
from pathlib import Path


def check_self_contained(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    assert "<script" not in text  # nothing runs: the page is read, not executed
    for attribute in re.findall(r'(?:src|href)="([^"]*)"', text):
        assert attribute.startswith("data:image/png;base64,"), f"a resource outside the page: {attribute[:80]}"
    assert "@import" not in text and "url(" not in text  # no remote style or font
    return text


def figure_titles(text: str) -> list[str]:
    return re.findall(r'<img alt="([^"]*)" src="data:image/png;base64,', text)
