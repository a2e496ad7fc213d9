"""results.json, report.md and a self-contained report.html; comparison against a previous run.

Both reports read top-down: the headline metrics with their CIs, why the misses happened
(outcome classes), which questions flipped since the compared run, plots, then every question;
the full settings come last, folded away in the HTML.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from eval.outcomes import CLASSES, CORRECT, is_miss
from eval.runner import GLOSSARY, HEADLINE

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


def flips(current: dict[str, Any], previous: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The questions (by id, in both runs) that went from right to wrong ('broke') and from wrong
    to right ('fixed'), with their outcome class in each run: what a reviewer reads first."""
    before = {q["id"]: q for q in previous.get("questions", [])}
    out: dict[str, list[dict[str, Any]]] = {"broke": [], "fixed": []}
    for q in current["questions"]:
        p = before.get(q["id"])
        if p is None or "outcome" not in p or "outcome" not in q:
            continue
        was, now = p["outcome"] in CORRECT, q["outcome"] in CORRECT
        if was == now:
            continue
        entry = {
            "id": q["id"],
            "question": q["question"],
            "before": p["outcome"],
            "after": q["outcome"],
            "before_answer": p["answer"],
            "after_answer": q["answer"],
        }
        out["fixed" if now else "broke"].append(entry)
    return out


def outcome_counts(result: dict[str, Any]) -> list[tuple[str, int]]:
    """(class, count), the misses first, then the correct classes; every class that occurred."""
    counts: dict[str, int] = result["summary"].get("outcomes", {})
    order = [c for c in CLASSES if c in counts] + sorted(c for c in counts if c not in CLASSES)
    return [(c, counts[c]) for c in order]


def _fmt(k: str, v: float) -> str:
    return f"{v:.1f}" if k.startswith("answer_words") else f"{v:.3f}"


def agreement_table(questions: list[dict[str, Any]]) -> list[str]:
    """Short-answer exact match by how many cited articles state the short answer
    (`ShortAnswer.stated_in`): what a frontend showing "stated in 3 articles" may promise."""
    groups: dict[str, list[float]] = {}
    for q in questions:
        if "short_answer_articles" in q and "short_answer_em" in q:
            n = q["short_answer_articles"]
            groups.setdefault("3+" if n >= 3 else str(n), []).append(q["short_answer_em"])
    if not groups:
        return []
    lines = ["", "## Short answer by agreeing articles", "", "| cited articles stating it | n | exact match |"]
    lines.append("|---|---|---|")
    for key in sorted(groups):
        ems = groups[key]
        lines.append(f"| {key} | {len(ems)} | {sum(ems) / len(ems):.2f} |")
    return lines


def markdown(result: dict[str, Any]) -> str:
    s = result["summary"]
    qs = result["questions"]
    misses = [q for q in qs if is_miss(q.get("outcome", "right"))]
    lines = [
        f"# Evaluation report: {result['config'].get('name', 'run')}",
        "",
        f"{s['n']} questions in {s['seconds']} s.",
        "",
    ]
    fl = result.get("flips")
    if fl is not None:
        lines += [f"**Flips against the compared run:** {len(fl['broke'])} broke, {len(fl['fixed'])} fixed.", ""]
        for kind in ("broke", "fixed"):
            for f in fl[kind]:
                lines.append(f"- {kind}: `{f['id']}` {f['question']} ({f['before']} → {f['after']})")
        lines.append("")
    lines += ["## Headline", "", "| metric | value | 95% CI |", "|---|---|---|"]
    for k in HEADLINE:
        if k in s["metrics"]:
            ci = s["ci95"].get(k)
            lines.append(f"| {k} | {s['metrics'][k]:.3f} | {f'{ci[0]:.3f} – {ci[1]:.3f}' if ci else ''} |")
    counts = outcome_counts(result)
    if counts:
        lines += ["", f"## Outcomes ({len(misses)} misses of {s['n']})", "", "| class | n | meaning |", "|---|---|---|"]
        for c, n in counts:
            lines.append(f"| {c} | {n} | {CLASSES.get(c, '')} |")
    if "judged" in s:
        j = s["judged"]
        lines += ["", "## LLM judge (apart from the deterministic metrics)", ""]
        lines.append(
            f"model {j['model']}: {j['judged']} judged, {j['unjudged']} unjudged (errors or timeouts); "
            + ", ".join(f"{k} {v:.3f}" for k, v in j["metrics"].items())
        )
    lines += ["", "## All metrics", "", "| metric | value | 95% CI |", "|---|---|---|"]
    for k, v in s["metrics"].items():
        ci = s["ci95"].get(k)
        lines.append(f"| {k} | {_fmt(k, v)} | {f'{ci[0]:.3f} – {ci[1]:.3f}' if ci else ''} |")
    lines += ["", "Metric meanings:", ""] + [
        f"- `{k}`: {v}" for k, v in GLOSSARY.items() if k in s["metrics"] or k.replace("@k", "@5") in s["metrics"]
    ]
    if s.get("by_split"):
        names = list(s["by_split"])
        lines += ["", "| metric | " + " | ".join(f"{n} (n={s['by_split'][n]['n']})" for n in names) + " |"]
        lines.append("|---|" + "---|" * len(names))
        for k in s["metrics"]:
            cells = [
                _fmt(k, s["by_split"][n]["metrics"][k]) if k in s["by_split"][n]["metrics"] else "–" for n in names
            ]
            lines.append(f"| {k} | " + " | ".join(cells) + " |")
    lines += agreement_table(qs)
    lines += ["", "| stage | p50 ms | p95 ms |", "|---|---|---|"]
    for stage, v in s["latency_ms"].items():
        lines.append(f"| {stage} | {v['p50']} | {v['p95']} |")
    lines += [
        "",
        "## By question type",
        "",
        "| type | n | key-fact recall | containment (loose) | strict containment | citation precision | hit@5 | abstention acc. |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for t, m in s["by_type"].items():
        cells = [
            f"{m[k]:.2f}" if k in m else "–"
            for k in (
                "key_fact_recall",
                "answer_containment",
                "strict_containment",
                "citation_precision",
                "hit@5",
                "abstention_accuracy",
            )
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
    if misses:
        lines += ["", "## Misses", ""]
        for q in sorted(misses, key=lambda q: list(CLASSES).index(q["outcome"]) if q["outcome"] in CLASSES else 99):
            why = f" — {q['outcome_detail']}" if q.get("outcome_detail") else ""
            lines.append(f"- **{q['outcome']}** `{q['id']}` {q['question']}{why}: {q['answer'][:200]}")
    lines += [
        "",
        "## Settings",
        "",
        ", ".join(f"{k}={v}" for k, v in result["config"].items() if k not in ("settings", "resources")),
    ]
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


_STYLE = """body{font-family:system-ui,sans-serif;margin:2em;max-width:1150px;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;font-size:13px;vertical-align:top}
.cards{display:flex;flex-wrap:wrap;gap:10px}.card{border:1px solid #ccc;border-radius:6px;padding:8px 12px;min-width:150px}
.card b{font-size:22px;display:block}.card small{color:#666}.miss td:first-child{border-left:4px solid #c33}
.regression{background:#fdd}.improvement{background:#dfd}.bearing{font-weight:bold}.filters label{margin-right:1em}
tr.detail td{background:#f7f7f7}tr.detail pre{white-space:pre-wrap;margin:0}button.expand{cursor:pointer}"""

# Filters and expandable rows: plain DOM, inline (the report stays one self-contained file).
_SCRIPT = """
const rows = () => Array.from(document.querySelectorAll('#questions tr.q'));
function applyFilters() {
  const want = {cls: document.getElementById('f-class').value, split: document.getElementById('f-split').value,
                type: document.getElementById('f-type').value};
  let shown = 0;
  for (const tr of rows()) {
    const ok = (want.cls === '' || (want.cls === 'misses' ? tr.dataset.miss === '1' : tr.dataset.class === want.cls))
      && (want.split === '' || tr.dataset.split === want.split) && (want.type === '' || tr.dataset.type === want.type);
    tr.hidden = !ok;
    if (!ok) { document.getElementById('d-' + tr.dataset.row).hidden = true; tr.querySelector('button').setAttribute('aria-expanded', 'false'); }
    shown += ok ? 1 : 0;
  }
  document.getElementById('shown').textContent = shown;
}
for (const id of ['f-class', 'f-split', 'f-type']) document.getElementById(id).addEventListener('change', applyFilters);
for (const b of document.querySelectorAll('button.expand')) b.addEventListener('click', () => {
  const d = document.getElementById('d-' + b.dataset.row);
  d.hidden = !d.hidden;
  b.setAttribute('aria-expanded', String(!d.hidden));
});
applyFilters();
"""


def _ci(ci: list[float] | None) -> str:
    return f"95% CI {ci[0]:.3f}–{ci[1]:.3f}" if ci else ""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _options(select_id: str, label: str, values: list[tuple[str, str]]) -> str:
    opts = "".join(f'<option value="{_e(v)}">{_e(t)}</option>' for v, t in values)
    return f'<label>{_e(label)} <select id="{select_id}" aria-label="{_e(label)}">{opts}</select></label>'


def _question_rows(qs: list[dict[str, Any]]) -> str:
    out = []
    for i, q in enumerate(qs):
        outcome = q.get("outcome", "")
        miss = is_miss(outcome) if outcome else False
        bearing = set(q.get("bearing_docs") or [])
        gold = set(q.get("gold_docs") or [])
        retrieved = "".join(
            f"<li class='{'bearing' if d in bearing else ''}'>{_e(d)}"
            f"{' — holds an answer' if d in bearing else ''}{' (gold)' if d in gold else ''}</li>"
            for d in q.get("retrieved_docs", [])
        )
        cited = "".join(
            f"<li>[{c['n']}] {_e(c.get('title'))} — {_e(c.get('source'))}: {_e(c.get('quote'))}</li>"
            for c in q.get("citations", [])
        )
        short = (q.get("short_answer") or {}).get("text")
        score = q.get("strict_containment", q.get("key_fact_recall", ""))
        out.append(
            f'<tr class="q{" miss" if miss else ""}" data-row="{i}" data-class="{_e(outcome)}" '
            f'data-miss="{1 if miss else 0}" data-split="{_e(q.get("split") or "")}" data-type="{_e(q["type"])}">'
            f'<td><button class="expand" data-row="{i}" aria-expanded="false" aria-label="details of {_e(q["id"])}">'
            f"+</button> {_e(q['id'])}</td><td>{_e(outcome)}</td><td>{_e(q.get('split') or '')}</td>"
            f"<td>{_e(q['type'])}</td><td>{_e(q['question'])}</td><td>{_e(score)}</td>"
            f"<td>{_e(q['answer'][:160])}</td></tr>"
            f'<tr class="detail" id="d-{i}" hidden><td colspan="7">'
            f"<p><b>Question</b> {_e(q['question'])}</p><p><b>Answer</b></p><pre>{_e(q['answer'])}</pre>"
            f"<p><b>Short answer</b> {_e(short) if short else '–'}</p>"
            + (f"<p><b>Refusal</b> {_e(q.get('outcome_detail'))}</p>" if q.get("abstained") else "")
            + (f"<p><b>Why</b> {_e(CLASSES.get(outcome, ''))}</p>" if miss else "")
            + f"<p><b>Retrieved articles</b> (in the answer's passages order)</p><ol>{retrieved}</ol>"
            + (f"<p><b>Citations</b></p><ul>{cited}</ul>" if cited else "")
            + (f"<p><b>Judge</b> {_e(json.dumps(q['judge']))}</p>" if q.get("judge") else "")
            + "</td></tr>"
        )
    return "".join(out)


def html_report(result: dict[str, Any]) -> str:
    s = result["summary"]
    qs = result["questions"]
    misses = sum(1 for q in qs if is_miss(q.get("outcome", "right")))
    cards = "".join(
        f'<div class="card"><small>{_e(k)}</small><b>{s["metrics"][k]:.3f}</b><small>{_ci(s["ci95"].get(k))}</small></div>'
        for k in HEADLINE
        if k in s["metrics"]
    )
    counts = outcome_counts(result)
    outcomes = (
        f"<h2>Outcomes: {misses} misses of {s['n']}</h2><table><tr><th>class</th><th>n</th><th>meaning</th></tr>"
        + "".join(
            f"<tr class='{'miss' if is_miss(c) else ''}'><td>{_e(c)}</td><td>{n}</td><td>{_e(CLASSES.get(c, ''))}</td></tr>"
            for c, n in counts
        )
        + "</table>"
    )
    flip_html = ""
    fl = result.get("flips")
    if fl is not None:
        items = [(kind, f) for kind in ("broke", "fixed") for f in fl[kind]]
        flip_html = (
            f"<h2>Flips: {len(fl['broke'])} broke, {len(fl['fixed'])} fixed</h2>"
            "<table><tr><th>flip</th><th>id</th><th>question</th><th>before</th><th>after</th></tr>"
            + "".join(
                f"<tr class='{'regression' if kind == 'broke' else 'improvement'}'><td>{kind}</td><td>{_e(f['id'])}</td>"
                f"<td>{_e(f['question'])}</td><td>{_e(f['before'])}</td><td>{_e(f['after'])}</td></tr>"
                for kind, f in items
            )
            + "</table>"
        )
    judged = ""
    if "judged" in s:
        j = s["judged"]
        judged = (
            f"<h2>LLM judge</h2><p>Apart from the deterministic metrics: model {_e(j['model'])}, "
            f"{j['judged']} judged, {j['unjudged']} unjudged (errors or timeouts).</p><table>"
            + "".join(f"<tr><td>{_e(k)}</td><td>{v:.3f}</td></tr>" for k, v in j["metrics"].items())
            + "</table>"
        )
    type_bars = _bars(
        "Strict containment (else key-fact recall) by question type",
        [
            (t, m.get("strict_containment", m.get("key_fact_recall", m.get("abstention_accuracy", 0.0))))
            for t, m in s["by_type"].items()
        ],
    )
    split_bars = ""
    if s.get("by_split"):
        key = next(k for k in ("strict_containment", "key_fact_recall", "abstention_accuracy") if k in s["metrics"])
        split_bars = _bars(f"{key} by split", [(n, v["metrics"].get(key, 0.0)) for n, v in s["by_split"].items()])
    ranks: dict[str, float] = {}
    for q in qs:
        if "answer_doc_rank" in q or q.get("gold_docs"):
            r = q.get("answer_doc_rank") if "answer_doc_rank" in q else q.get("first_rank")
            label = f"rank {r}" if r and r <= 5 else ("rank 6–10" if r else "not retrieved")
            ranks[label] = ranks.get(label, 0) + 1
    order = [f"rank {i}" for i in range(1, 6)] + ["rank 6–10", "not retrieved"]
    which = "answer-bearing article" if any("answer_doc_rank" in q for q in qs) else "gold document"
    rank_bars = _bars(
        f"Rank of the first {which}",
        [(k, ranks.get(k, 0.0)) for k in order],
        vmax=max(ranks.values(), default=1),
        fmt="{:.0f}",
    )
    latency = _histogram("Answer latency (retrieve + answer)", [q["retrieve_ms"] + q["answer_ms"] for q in qs])
    comparison = ""
    if "comparison" in result:
        comparison = (
            "<h2>Against the previous run</h2><table><tr><th>metric</th><th>previous</th><th>current</th><th>delta</th><th>status</th></tr>"
            + "".join(
                f"<tr class='{c['status']}'><td>{_e(k)}</td><td>{c['previous']:.3f}</td><td>{c['current']:.3f}</td>"
                f"<td>{c['delta']:+.3f}</td><td>{c['status']}</td></tr>"
                for k, c in result["comparison"].items()
            )
            + "</table>"
        )
    table = "".join(
        f"<tr><td>{_e(k)}</td><td>{_fmt(k, v)}</td><td>{_e(s['ci95'].get(k, ''))}</td><td>{_e(GLOSSARY.get(k, ''))}</td></tr>"
        for k, v in s["metrics"].items()
    )
    classes = [("", "all"), ("misses", "misses")] + [(c, c) for c, _ in counts]
    splits = [("", "all")] + [(x, x) for x in sorted({q.get("split") or "" for q in qs} - {""})]
    types = [("", "all")] + [(t, t) for t in sorted({q["type"] for q in qs})]
    filters = (
        '<div class="filters">'
        + _options("f-class", "Outcome", classes)
        + _options("f-split", "Split", splits)
        + _options("f-type", "Type", types)
        + ' <span><span id="shown"></span> shown</span></div>'
    )
    settings = json.dumps(result["config"], indent=2, ensure_ascii=False, default=str)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Evaluation report</title>
<style>{_STYLE}</style>
</head><body>
<h1>Evaluation report: {_e(result["config"].get("name", "run"))}</h1>
<p>{s["n"]} questions in {s["seconds"]} s.</p>
{flip_html}
<h2>Headline</h2>
<div class="cards">{cards}</div>
{outcomes}
{judged}
<h2>Plots</h2>
{type_bars}
{split_bars}
{rank_bars}
{latency}
<h2>Questions</h2>
{filters}
<table id="questions"><thead><tr><th>id</th><th>outcome</th><th>split</th><th>type</th><th>question</th><th>score</th><th>answer</th></tr></thead>
<tbody>{_question_rows(qs)}</tbody></table>
<h2>All metrics</h2>
<table><tr><th>metric</th><th>value</th><th>95% CI</th><th>meaning</th></tr>{table}</table>
{comparison}
<details><summary>Settings</summary><pre>{_e(settings)}</pre></details>
<script>{_SCRIPT}</script>
</body></html>
"""


def write_reports(result: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    (out / "report.md").write_text(markdown(result), encoding="utf-8")
    (out / "report.html").write_text(html_report(result), encoding="utf-8")
