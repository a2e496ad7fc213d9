"""results.json, report.md and a self-contained report.html; comparison against a previous run."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from eval.runner import HEADLINE

BAR_W, BAR_H = 560, 18


def compare(current: dict[str, Any], previous: dict[str, Any]) -> dict[str, Any]:
    """Deltas of every metric; a headline metric moving outside the previous run's 95% CI is
    flagged as a regression or an improvement."""
    cur, prev = current["summary"]["metrics"], previous["summary"]["metrics"]
    prev_ci = previous["summary"].get("ci95", {})
    out: dict[str, Any] = {}
    for k, v in cur.items():
        if k not in prev:
            continue
        entry: dict[str, Any] = {"previous": prev[k], "current": v, "delta": round(v - prev[k], 4), "status": "same"}
        ci = prev_ci.get(k)
        if ci and k in HEADLINE:
            if v < ci[0]:
                entry["status"] = "regression"
            elif v > ci[1]:
                entry["status"] = "improvement"
        out[k] = entry
    return out


def markdown(result: dict[str, Any]) -> str:
    s = result["summary"]
    lines = [
        f"# Evaluation report: {result['config'].get('name', 'run')}",
        "",
        "Config: " + ", ".join(f"{k}={v}" for k, v in result["config"].items() if k not in ("settings", "resources")),
        "",
        f"{s['n']} questions in {s['seconds']} s.",
        "",
        "| metric | value | 95% CI |",
        "|---|---|---|",
    ]
    for k, v in s["metrics"].items():
        ci = s["ci95"].get(k)
        lines.append(f"| {k} | {v:.3f} | {f'{ci[0]:.3f} – {ci[1]:.3f}' if ci else ''} |")
    if s.get("by_split"):
        names = list(s["by_split"])
        lines += ["", "| metric | " + " | ".join(f"{n} (n={s['by_split'][n]['n']})" for n in names) + " |"]
        lines.append("|---|" + "---|" * len(names))
        for k in s["metrics"]:
            cells = [
                f"{s['by_split'][n]['metrics'][k]:.3f}" if k in s["by_split"][n]["metrics"] else "–" for n in names
            ]
            lines.append(f"| {k} | " + " | ".join(cells) + " |")
    lines += ["", "| stage | p50 ms | p95 ms |", "|---|---|---|"]
    for stage, v in s["latency_ms"].items():
        lines.append(f"| {stage} | {v['p50']} | {v['p95']} |")
    lines += [
        "",
        "## By question type",
        "",
        "| type | n | key-fact recall | containment | citation precision | hit@5 | abstention acc. |",
        "|---|---|---|---|---|---|---|",
    ]
    for t, m in s["by_type"].items():
        cells = [
            f"{m[k]:.2f}" if k in m else "–"
            for k in ("key_fact_recall", "answer_containment", "citation_precision", "hit@5", "abstention_accuracy")
        ]
        lines.append(f"| {t} | {int(m['n'])} | " + " | ".join(cells) + " |")
    if "comparison" in result:
        lines += [
            "",
            "## Against the previous run",
            "",
            "| metric | previous | current | delta | status |",
            "|---|---|---|---|---|",
        ]
        for k, c in result["comparison"].items():
            mark = {"regression": "**REGRESSION**", "improvement": "improvement"}.get(c["status"], "")
            lines.append(f"| {k} | {c['previous']:.3f} | {c['current']:.3f} | {c['delta']:+.3f} | {mark} |")
    failures = [q for q in result["questions"] if q.get("key_fact_recall", 1.0) < 1.0 or q["abstention_correct"] < 1.0]
    if failures:
        lines += ["", "## Questions to look at", ""]
        for q in failures:
            lines.append(
                f"- `{q['id']}` {q['question']} — abstained={q['abstained']}, "
                f"key facts={q.get('key_fact_recall', '–')}: {q['answer'][:200]}"
            )
    return "\n".join(lines) + "\n"


def _bars(title: str, items: list[tuple[str, float]], vmax: float = 1.0, fmt: str = "{:.2f}") -> str:
    h = 30 + len(items) * (BAR_H + 6)
    rows = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{BAR_W + 220}" height="{h}" role="img" aria-label="{html.escape(title)}">',
        f'<text x="0" y="16" font-weight="bold">{html.escape(title)}</text>',
    ]
    for i, (label, v) in enumerate(items):
        y = 28 + i * (BAR_H + 6)
        w = 0 if vmax <= 0 else max(0.0, min(1.0, v / vmax)) * BAR_W
        rows.append(
            f'<text x="0" y="{y + 13}" font-size="12">{html.escape(label)}</text>'
            f'<rect x="160" y="{y}" width="{w:.1f}" height="{BAR_H}" fill="#3b6ea5"/>'
            f'<text x="{165 + w:.1f}" y="{y + 13}" font-size="12">{fmt.format(v)}</text>'
        )
    rows.append("</svg>")
    return "".join(rows)


def _histogram(title: str, values: list[float], bins: int = 12) -> str:
    if not values:
        return ""
    lo, hi = min(values), max(values)
    width = (hi - lo) / bins or 1.0
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int((v - lo) / width))] += 1
    items = [(f"{lo + i * width:.0f}–{lo + (i + 1) * width:.0f} ms", float(c)) for i, c in enumerate(counts)]
    return _bars(title, items, vmax=max(counts), fmt="{:.0f}")


def html_report(result: dict[str, Any]) -> str:
    s = result["summary"]
    qs = result["questions"]
    metric_bars = _bars("Headline metrics", [(k, s["metrics"][k]) for k in HEADLINE if k in s["metrics"]])
    type_bars = _bars(
        "Key-fact recall by question type",
        [(t, m.get("key_fact_recall", m.get("abstention_accuracy", 0.0))) for t, m in s["by_type"].items()],
    )
    ranks: dict[str, float] = {}
    for q in qs:
        if q.get("gold_docs"):
            r = q.get("first_rank")
            label = f"rank {r}" if r and r <= 5 else ("rank 6–10" if r else "not retrieved")
            ranks[label] = ranks.get(label, 0) + 1
    order = [f"rank {i}" for i in range(1, 6)] + ["rank 6–10", "not retrieved"]
    rank_bars = _bars(
        "Rank of the first gold document",
        [(k, ranks.get(k, 0.0)) for k in order],
        vmax=max(ranks.values(), default=1),
        fmt="{:.0f}",
    )
    latency = _histogram("Answer latency (retrieve + answer)", [q["retrieve_ms"] + q["answer_ms"] for q in qs])
    rows = "".join(
        f"<tr><td>{html.escape(q['id'])}</td><td>{html.escape(q['type'])}</td><td>{html.escape(q['question'])}</td>"
        f"<td>{'yes' if q['abstained'] else ''}</td><td>{q.get('key_fact_recall', '–')}</td>"
        f"<td>{html.escape(q['answer'][:300])}</td></tr>"
        for q in qs
    )
    comparison = ""
    if "comparison" in result:
        comparison = (
            "<h2>Against the previous run</h2><table><tr><th>metric</th><th>previous</th><th>current</th><th>delta</th><th>status</th></tr>"
            + "".join(
                f"<tr class='{c['status']}'><td>{html.escape(k)}</td><td>{c['previous']:.3f}</td><td>{c['current']:.3f}</td>"
                f"<td>{c['delta']:+.3f}</td><td>{c['status']}</td></tr>"
                for k, c in result["comparison"].items()
            )
            + "</table>"
        )
    table = "".join(
        f"<tr><td>{html.escape(k)}</td><td>{v:.3f}</td><td>{html.escape(str(s['ci95'].get(k, '')))}</td></tr>"
        for k, v in s["metrics"].items()
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Evaluation report</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}}table{{border-collapse:collapse;margin:1em 0}}
td,th{{border:1px solid #ccc;padding:4px 8px;font-size:13px;vertical-align:top}}.regression{{background:#fdd}}.improvement{{background:#dfd}}</style>
</head><body>
<h1>Evaluation report</h1>
<p>{html.escape(", ".join(f"{k}={v}" for k, v in result["config"].items()))} — {s["n"]} questions in {s["seconds"]} s</p>
{metric_bars}
<table><tr><th>metric</th><th>value</th><th>95% CI</th></tr>{table}</table>
{comparison}
{type_bars}
{rank_bars}
{latency}
<h2>Questions</h2>
<table><tr><th>id</th><th>type</th><th>question</th><th>abstained</th><th>key facts</th><th>answer</th></tr>{rows}</table>
</body></html>
"""


def write_reports(result: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    (out / "report.md").write_text(markdown(result), encoding="utf-8")
    (out / "report.html").write_text(html_report(result), encoding="utf-8")
