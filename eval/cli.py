"""`rag eval`: gold sets or external benchmarks, reports, comparison and a CI gate."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

SECRET_SETTINGS = {"openai_api_key", "api_keys", "admin_keys"}


def _parse_floor(spec: str) -> tuple[str, float]:
    name, sep, value = spec.partition("=")
    try:
        if not sep:
            raise ValueError
        return name.strip(), float(value)
    except ValueError:
        raise typer.BadParameter(f"--fail-under expects METRIC=VALUE, got {spec!r}") from None


def eval_command(
    gold: Annotated[Path | None, typer.Option(help="Gold JSON Lines file.")] = None,
    benchmark: Annotated[Path | None, typer.Option(help="Folder with corpus.jsonl + questions.jsonl.")] = None,
    answerer: Annotated[str | None, typer.Option(help="extractive | openai")] = None,
    top_k: Annotated[int | None, typer.Option("--top-k", min=1, max=50)] = None,
    retrieval: Annotated[str | None, typer.Option(help="hybrid | dense | lexical")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Deterministic subset of N questions.")] = None,
    max_docs: Annotated[int | None, typer.Option(min=1, help="Benchmark: index gold docs + others up to M.")] = None,
    out: Annotated[Path | None, typer.Option(help="Write results.json, report.md, report.html here.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the metrics JSON.")] = False,
    fail_under: Annotated[list[str] | None, typer.Option(help="METRIC=VALUE; exit 1 when below (repeatable).")] = None,
    compare: Annotated[Path | None, typer.Option(help="A previous run's --out folder.")] = None,
    questions: Annotated[
        Path | None, typer.Option(help="Benchmark: a gold file over its corpus instead of its questions.jsonl.")
    ] = None,
    split: Annotated[
        str | None, typer.Option(help="Benchmark: only the 'tuning' (earlier weeks) or 'validation' half.")
    ] = None,
    ablate: Annotated[
        bool,
        typer.Option(
            "--ablate", help="Run once per answer rule with it switched off; report each rule's contribution."
        ),
    ] = False,
) -> None:
    """Score answers against gold Q&A: retrieval, answers, citations, abstention, latency."""
    from tqdm import tqdm

    from eval.benchmark import prepare
    from eval.gold import GoldError, deterministic_subset, load_gold, split_items
    from eval.report import compare as compare_runs
    from eval.report import markdown, write_reports
    from eval.runner import METRICS, run
    from rag.errors import RagError
    from rag.pipeline import RagPipeline
    from rag.progress import IngestBar
    from rag.resources import fingerprints
    from rag.settings import Settings

    if (gold is None) == (benchmark is None):
        raise typer.BadParameter("give exactly one of --gold FILE or --benchmark DIR")
    if split not in (None, "tuning", "validation"):
        raise typer.BadParameter("--split must be tuning or validation")
    if retrieval not in (None, "hybrid", "dense", "lexical"):
        raise typer.BadParameter("--retrieval must be hybrid, dense or lexical")
    floors = [_parse_floor(f) for f in fail_under or []]
    for name, _ in floors:
        if name not in METRICS:
            raise typer.BadParameter(f"--fail-under: unknown metric {name!r}; known: {', '.join(sorted(METRICS))}")
    settings = Settings()
    if retrieval:
        settings = settings.model_copy(update={"retrieval": retrieval})
    quiet = json_out and not sys.stderr.isatty()
    try:
        if benchmark is not None:
            pipeline, items = prepare(
                settings,
                benchmark,
                limit,
                max_docs,
                lambda n: IngestBar(n, desc=f"index {benchmark.name}", disable=quiet),
                questions,
            )
        else:
            assert gold is not None
            items = deterministic_subset(load_gold(gold), limit)
            pipeline = RagPipeline(settings)
            stored = {d.doc_id for d in pipeline.list_documents()}
            absent = sorted({d for it in items for d in it.gold_docs()} - stored)
            if absent:
                typer.secho(
                    f"warning: {len(absent)} gold document(s) are not in the store at {settings.data_dir} "
                    f"(e.g. {absent[0]}); ingest them first (`rag ingest seeds`) or retrieval and answer "
                    "metrics will be low",
                    err=True,
                    fg=typer.colors.YELLOW,
                )
        items = split_items(items, split)
        if ablate:
            _ablate(pipeline, items, answerer, top_k, out, (benchmark or gold).name, quiet)  # type: ignore[union-attr]
            return
        bar = tqdm(total=len(items), unit="q", desc="eval", file=sys.stderr, disable=quiet)
        result: dict[str, Any] = run(pipeline, items, answerer=answerer, top_k=top_k, progress=lambda i: bar.update(1))
        bar.close()
    except (GoldError, FileNotFoundError, RagError) as e:
        typer.secho(f"error: {e}", err=True, fg=typer.colors.RED)
        raise typer.Exit(2) from e
    result["config"] = {
        "name": (benchmark or gold).name if (benchmark or gold) else "run",  # type: ignore[union-attr]
        "answerer": answerer or settings.answerer,
        "retrieval": retrieval or settings.retrieval,
        "top_k": top_k or settings.top_k,
        "embed_model": settings.embed_model,
        "limit": limit,
        "max_docs": max_docs,
        "prompt": "answer-v1",
        "split": split,
        # The answer rules that ran, in order (rag/answer/rules/RULES less RAG_RULES_OFF).
        "rules": pipeline.rules.names,
        "rules_off": sorted(settings.rules_off_set),
        # Every weight, threshold and window the answers depended on, and the word lists' checksums.
        "settings": settings.model_dump(mode="json", exclude=SECRET_SETTINGS),
        "resources": fingerprints(),
    }
    if compare is not None:
        try:
            previous = json.loads((compare / "results.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            typer.secho(f"error: cannot read {compare}/results.json: {e}", err=True, fg=typer.colors.RED)
            raise typer.Exit(2) from e
        result["comparison"] = compare_runs(result, previous)
    if out is not None:
        write_reports(result, out)
    metrics = result["summary"]["metrics"]
    if json_out:
        typer.echo(
            json.dumps(
                {
                    "metrics": metrics,
                    "ci95": result["summary"]["ci95"],
                    "latency_ms": result["summary"]["latency_ms"],
                    "n": result["summary"]["n"],
                    **({"comparison": result["comparison"]} if "comparison" in result else {}),
                },
                indent=2,
            )
        )
    else:
        typer.echo(markdown(result).split("## By question type")[0])
    failed = False
    for name, floor in floors:
        if name not in metrics:
            typer.secho(
                f"error: {name} is not defined on this gold set (abstention_recall needs unanswerable questions, "
                "abstention_precision an abstention, retrieval metrics gold documents)",
                err=True,
                fg=typer.colors.RED,
            )
            raise typer.Exit(2)
        if metrics[name] < floor:
            typer.secho(f"FAIL: {name} = {metrics[name]:.4f} < {floor}", err=True, fg=typer.colors.RED)
            failed = True
    if "comparison" in result:
        for k, c in result["comparison"].items():
            if c["status"] == "regression":
                typer.secho(
                    f"regression: {k} {c['previous']:.3f} -> {c['current']:.3f}", err=True, fg=typer.colors.YELLOW
                )
    if failed:
        raise typer.Exit(1)


def _ablate(
    pipeline: Any, items: list[Any], answerer: str | None, top_k: int | None, out: Path | None, name: str, quiet: bool
) -> None:
    from tqdm import tqdm

    from eval.ablate import ablate, markdown

    bar = tqdm(total=len(pipeline.rules.names) + 1, unit="run", desc="ablate", file=sys.stderr, disable=quiet)
    report = ablate(pipeline, items, answerer, top_k, progress=lambda _: bar.update(1))
    bar.close()
    text = markdown(report, name)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "ablation.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
        (out / "ablation.md").write_text(text, encoding="utf-8")
    typer.echo(text)


def register(app: typer.Typer) -> None:
    app.command("eval")(eval_command)
