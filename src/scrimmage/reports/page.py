"""One HTML page, self-contained: inline CSS, figures as ``data:`` URIs, tables, no script.

Hand-written (a few string templates) rather than Jinja: the pages are small and fixed, and
:func:`html.escape` on every value is all the templating they need. Written atomically
(:func:`write_page`): a temp file beside the target, renamed over it, so a failed report leaves no
half-written page.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrimmage.errors import ArgumentError

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:0 auto;max-width:1180px;
padding:18px 24px 40px;color:#1d232b;background:#fff;line-height:1.4}
h1{font-size:1.5em;margin:.2em 0 .1em}h2{font-size:1.15em;margin:1.6em 0 .5em;border-bottom:1px solid #d8dde3;padding-bottom:.2em}
.meta{color:#5a6572;font-size:.9em;margin-bottom:1em}.meta code{color:#1d232b}
table{border-collapse:collapse;font-size:.88em;margin:.4em 0 1em}th,td{padding:3px 9px;border-bottom:1px solid #e4e7eb;text-align:right;white-space:nowrap}
th{background:#f3f5f7;font-weight:600}td:first-child,th:first-child{text-align:left}tr.model td{font-weight:600;background:#f6fbff}
table.kv td{text-align:left}table.kv td:first-child{color:#5a6572}
.figs{display:flex;flex-wrap:wrap;gap:14px}figure{margin:0;border:1px solid #e4e7eb;border-radius:4px;padding:6px;background:#fff}
figure img{display:block;max-width:100%;height:auto}figcaption{font-size:.82em;color:#5a6572;max-width:480px;margin-top:4px}
ul.notes{font-size:.88em;color:#39424d}.scroll{overflow-x:auto}.empty{color:#8a95a1;font-style:italic}
"""


@dataclass(frozen=True)
class Figure:
    """A rendered figure: a title, the image as a ``data:`` URI and a caption saying how to read it."""

    title: str
    uri: str
    caption: str = ""
    name: str = ""
    """A file-name stem for the figure when it is saved on its own (MLflow artifacts)."""


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def fmt(value: Any) -> str:
    """A table cell: 4 significant digits for floats, thousands separators for ints, '-' for missing."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)  # years (2019) read as years
    if isinstance(value, float):
        if not math.isfinite(value):
            return "-"
        if abs(value) >= 1e4:
            return f"{value:,.0f}"
        if value != 0 and abs(value) < 1e-3:
            return f"{value:.3g}"
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(fmt(v) for v in value) if value else "[]"
    return str(value)


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, highlight: str | None = None,
          css_class: str = "") -> str:
    """An HTML table; a row whose first cell equals ``highlight`` is emphasised (the model's row)."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cls = ' class="model"' if highlight is not None and row and str(row[0]) == highlight else ""
        body.append(f"<tr{cls}>" + "".join(f"<td>{esc(fmt(v))}</td>" for v in row) + "</tr>")
    cls = f' class="{css_class}"' if css_class else ""
    return f'<div class="scroll"><table{cls}><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'


def key_values(pairs: Iterable[tuple[str, Any]]) -> str:
    rows = "".join(f"<tr><td>{esc(k)}</td><td>{esc(fmt(v))}</td></tr>" for k, v in pairs)
    return f'<div class="scroll"><table class="kv"><tbody>{rows}</tbody></table></div>'


def figures(items: Sequence[Figure]) -> str:
    if not items:
        return '<p class="empty">no figures for this section</p>'
    out = []
    for fig in items:
        caption = f"<figcaption><b>{esc(fig.title)}</b>" + (f" — {esc(fig.caption)}" if fig.caption else "") + "</figcaption>"
        out.append(f'<figure><img alt="{esc(fig.title)}" src="{fig.uri}">{caption}</figure>')
    return f'<div class="figs">{"".join(out)}</div>'


def notes(lines: Iterable[str]) -> str:
    items = "".join(f"<li>{esc(line)}</li>" for line in lines)
    return f'<ul class="notes">{items}</ul>' if items else ""


def section(title: str, body: str) -> str:
    return f"<section><h2>{esc(title)}</h2>{body}</section>"


def document(title: str, subtitle: str, sections: Sequence[str]) -> str:
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
        f"<h1>{esc(title)}</h1><div class=\"meta\">{subtitle} · generated {esc(stamp)} by scrimmage</div>"
        + "".join(sections) + "</body></html>\n"
    )


def check_output(path: str | Path) -> Path:
    """The page's path, refused before any work when its folder is missing or it names a folder."""
    path = Path(path).expanduser()
    if not str(path).strip() or path.name in ("", ".", ".."):
        raise ArgumentError("--html needs a file path such as report.html.")
    if path.is_dir():
        raise ArgumentError(f"--html {path} is a folder; pass a file path such as {path / 'report.html'}.")
    if not path.parent.is_dir():
        raise ArgumentError(f"--html {path}: folder {path.parent} does not exist; create it first or write elsewhere.")
    return path


def write_page(path: str | Path, text: str) -> Path:
    """Write the page atomically (temp file + rename) into an existing folder."""
    from scrimmage.io import atomic_path

    path = check_output(path)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path
