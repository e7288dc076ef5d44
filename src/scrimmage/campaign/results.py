"""A campaign's results: one row per done task, a status summary, and plots.

Rows come from the task rows alone (results, swept values, histories are stored in the queue's
database), so ``campaign results`` works on any machine that reaches the queue, whether or not
it can see the workers' run folders.

A vectorized ensemble task (``ensemble: vectorize``) gives one row per member: its seed, best
metric and epoch, stop epoch, status (``done`` or ``failed``) and last validation metrics, from the
``members`` section of the task's result.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

from scrimmage.campaign.store import STATES
from scrimmage.io import atomic_path


def _num(value: Any) -> Any:
    return value if not isinstance(value, float) or math.isfinite(value) else None


def result_rows(tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    swept_keys = list(dict.fromkeys(k for t in tasks if t["state"] == "done" for k in (t["swept"] or {})
                                    if k not in ("seed", "seeds")))
    rows = []
    for t in tasks:
        if t["state"] != "done":
            continue
        result = t["result"] or {}
        members = result.get("members")
        if isinstance(members, dict) and members.get("meta"):
            rows += member_rows(t, members, swept_keys)
            continue
        best = result.get("best") or {}
        row: dict[str, Any] = {"task": t["id"], "phase": t["phase"], "label": t["label"]}
        row.update({k: _cell((t["swept"] or {}).get(k)) for k in swept_keys})
        row.update({"seed": t["seed"], "member": None, "status": "done", "metric": best.get("metric"), "best": _num(best.get("value")),
                    "best_epoch": best.get("epoch"), "epochs": result.get("epochs_completed"),
                    "stop_reason": result.get("stop_reason"), "wall_s": round(float(t["wall_seconds"] or 0), 2),
                    "worker": (t["worker"] or {}).get("worker_id"), "host": (t["worker"] or {}).get("host"),
                    "threads": (t["worker"] or {}).get("threads"), "attempts": t["attempt"], "run_id": t["run_id"]})
        row.update({f"val/{k}": _num(v) for k, v in sorted((result.get("val") or {}).items()) if isinstance(v, (int, float))})
        row.update({f"test/{k}": _num(v) for k, v in sorted((result.get("test") or {}).items()) if isinstance(v, (int, float))})
        rows.append(row)
    return rows


def member_rows(t: dict[str, Any], members: dict[str, Any], swept_keys: list[str]) -> list[dict[str, Any]]:
    """One row per member of a vectorized ensemble task (its own seed, best metric, best epoch and status)."""
    result = t["result"] or {}
    rows = []
    for name, meta in zip(members.get("names") or [], members.get("meta") or [], strict=False):
        row: dict[str, Any] = {"task": t["id"], "phase": t["phase"], "label": t["label"]}
        row.update({k: _cell((t["swept"] or {}).get(k)) for k in swept_keys})
        row.update({"seed": meta.get("seed"), "member": name, "status": meta.get("status"), "metric": meta.get("metric"),
                    "best": _num(meta.get("best_metric")), "best_epoch": meta.get("best_epoch"),
                    "epochs": meta.get("stopped_epoch") or result.get("epochs_completed"),
                    "stop_reason": meta.get("error") or ("early stopping" if meta.get("stopped_epoch") else result.get("stop_reason")),
                    "wall_s": round(float(t["wall_seconds"] or 0), 2), "worker": (t["worker"] or {}).get("worker_id"),
                    "host": (t["worker"] or {}).get("host"), "threads": (t["worker"] or {}).get("threads"),
                    "attempts": t["attempt"], "run_id": t["run_id"]})
        last = meta.get("last") or {}
        row.update({k: _num(v) for k, v in sorted(last.items()) if k.startswith("val/") and isinstance(v, (int, float))})
        rows.append(row)
    return rows


def _cell(value: Any) -> Any:
    return str(value) if isinstance(value, (list, dict)) else value


def write_csv(rows: list[dict[str, Any]], path: Path) -> Path:
    import pandas as pd

    with atomic_path(path) as tmp:
        pd.DataFrame(rows).to_csv(tmp, index=False, float_format="%.6g")
    return path


def write_plots(tasks: list[dict[str, Any]], rows: list[dict[str, Any]], folder: Path) -> list[str]:
    """Each swept value against the best metric, and each phase's learning curves (PNG, atomically written)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    reserved = {"task", "phase", "label", "seed", "metric", "best", "best_epoch", "epochs", "stop_reason", "wall_s",
                "worker", "host", "threads", "attempts", "run_id", "base_task", "base_label", "member", "status", "member_of"}
    swept = [k for k in dict.fromkeys(k for r in rows for k in r) if k not in reserved and not k.startswith(("val/", "test/"))]
    for key in [*swept, "seed"]:
        points = [(r.get(key), r["best"]) for r in rows if r.get(key) is not None and r["best"] is not None]
        if not points:
            continue
        fig, ax = plt.subplots(figsize=(6, 4))
        labels = [str(p[0]) for p in points]
        numeric = all(isinstance(p[0], (int, float)) and not isinstance(p[0], bool) for p in points)
        xs = [p[0] for p in points] if numeric else [sorted(set(labels)).index(s) for s in labels]
        ax.scatter(xs, [p[1] for p in points])
        if not numeric:
            ax.set_xticks(range(len(set(labels))), sorted(set(labels)), rotation=30, ha="right")
        ax.set_xlabel(key)
        ax.set_ylabel(f"best {rows[0]['metric']}")
        fig.tight_layout()
        written.append(_save(fig, folder / f"swept-{_slug(key)}.png"))
        plt.close(fig)
    for phase in dict.fromkeys(t["phase"] for t in tasks):
        curves = [t for t in tasks if t["phase"] == phase and t["state"] == "done" and (t["result"] or {}).get("history")]
        if not curves:
            continue
        fig, ax = plt.subplots(figsize=(6, 4))
        metric = (curves[0]["result"].get("best") or {}).get("metric")
        for t in curves:
            history = t["result"]["history"]
            ax.plot([h.get("epoch") for h in history], [h.get(metric) for h in history], label=t["label"], linewidth=1)
        ax.set_xlabel("epoch")
        ax.set_ylabel(str(metric))
        ax.set_title(f"phase {phase}")
        if len(curves) <= 12:
            ax.legend(fontsize=7)
        fig.tight_layout()
        written.append(_save(fig, folder / f"curves-{_slug(phase)}.png"))
        plt.close(fig)
    return written


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text)


def _save(fig: Any, path: Path) -> str:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=90, format="png")
    return str(path)


def summary(campaign: str, tasks: list[dict[str, Any]], workers: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts by state and phase, live workers, failures, throughput and an ETA."""
    counts = {s: sum(t["state"] == s for t in tasks) for s in STATES}
    phases: dict[str, dict[str, Any]] = {}
    for t in tasks:
        entry = phases.setdefault(t["phase"], {"priority": t["priority"], **{s: 0 for s in STATES}})
        entry[t["state"]] += 1
    done = [t for t in tasks if t["state"] == "done" and t["started_at"] and t["finished_at"]]
    throughput = eta = None
    if done:
        first = min(t["started_at"] for t in done).timestamp()
        last = max(t["finished_at"] for t in done).timestamp()
        span = max(last - first, 1e-9)
        throughput = len(done) / span * 3600 if len(done) > 1 else 3600 / max(float(done[0]["wall_seconds"]), 1e-9)
        left = counts["waiting"] + counts["pending"] + counts["running"]
        eta = left / throughput * 3600 if throughput else None
    mine = [w for w in workers if w.get("campaign") in (campaign, None)]
    return {
        "campaign": campaign, "tasks": counts, "phases": phases,
        "running": [{"task": t["id"], "phase": t["phase"], "label": t["label"], "attempt": t["attempt"],
                     "worker": t["worker_id"], "epoch": (t["progress"] or {}).get("epoch"),
                     "epochs": (t["progress"] or {}).get("epochs"),
                     "samples_per_s": (t["progress"] or {}).get("samples_per_s")} for t in tasks if t["state"] == "running"],
        "workers": [{"id": w["id"], "host": w["host"], "heartbeat_age_s": round(float(w["heartbeat_age"]), 1),
                     "task": w["task_id"], "epoch": (w.get("progress") or {}).get("epoch"),
                     "samples_per_s": (w.get("progress") or {}).get("samples_per_s"),
                     "threads": (w.get("task_worker") or w["identity"] or {}).get("threads"), "device": (w["identity"] or {}).get("device"),
                     "tasks_done": w["tasks_done"]} for w in mine],
        "failures": [{"task": t["id"], "phase": t["phase"], "label": t["label"], "attempt": t["attempt"],
                      "error": t["error"]} for t in tasks if t["state"] == "failed"],
        "tasks_per_hour": round(throughput, 2) if throughput else None,
        "eta_s": round(eta) if eta is not None else None,
        "at": time.time(),
    }
