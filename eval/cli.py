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


class _LocalScorer:
    """--server: the citation check and the embedder run here, as in-process, so a server is
    scored by the same check as the library."""

    def __init__(self, settings: Any, build: Any):
        from rag.answer.citations import CitationChecker

        self.embedder = build(settings)
        self.checker = CitationChecker(self.embedder, settings.support_threshold)


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
    server: Annotated[
        str | None, typer.Option(help="Score a running server (http://host:port) instead of the library.")
    ] = None,
    api_key: Annotated[
        str | None, typer.Option("--api-key", envvar="RAG_EVAL_API_KEY", help="--server: its API key.")
    ] = None,
    collection: Annotated[str | None, typer.Option(help="--server: the collection to ask.")] = None,
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="--server: questions in flight.")] = 4,
    chat: Annotated[
        str | None, typer.Option(help="--server: ask through /v1/chat/completions with this model.")
    ] = None,
    load: Annotated[
        bool,
        typer.Option(help="--server --benchmark: upload the corpus into its own collection, removed afterwards."),
    ] = False,
    judge_base_url: Annotated[str | None, typer.Option(help="An OpenAI-compatible endpoint for the judge.")] = None,
    judge_model: Annotated[str | None, typer.Option(help="The judge's model.")] = None,
    judge_api_key: Annotated[
        str | None, typer.Option(envvar="RAG_EVAL_JUDGE_API_KEY", help="The judge endpoint's key.")
    ] = None,
    judge_timeout: Annotated[float, typer.Option(min=0.1, help="Seconds per judge call.")] = 60.0,
    judge_cache: Annotated[
        Path | None, typer.Option(help="The judge's verdict cache (default: <data_dir>/judge_cache.sqlite).")
    ] = None,
    export: Annotated[
        tuple[str, Path] | None, typer.Option(help="FORMAT FILE: 'ragas FILE' writes Ragas's evaluation dataset.")
    ] = None,
    junit: Annotated[Path | None, typer.Option(help="Write a JUnit XML file, one test case per question.")] = None,
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
    from eval.gold import GoldError, deterministic_subset, load_gold, question_weeks, split_items
    from eval.report import compare as compare_runs
    from eval.report import flips, markdown, write_reports
    from eval.runner import METRICS, run
    from eval.server import ServerError
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
    if export is not None and export[0] != "ragas":
        raise typer.BadParameter("--export supports: ragas", param_hint="--export")
    if load and (server is None or benchmark is None):
        raise typer.BadParameter("--load needs --server and --benchmark", param_hint="--load")
    if (chat or collection) and server is None:
        raise typer.BadParameter("--chat and --collection need --server")
    if bool(judge_base_url) != bool(judge_model):
        raise typer.BadParameter("the judge needs both --judge-base-url and --judge-model")
    settings = Settings()
    if retrieval:
        settings = settings.model_copy(update={"retrieval": retrieval})
    quiet = json_out and not sys.stderr.isatty()
    remote = None
    loaded: str | None = None
    pipeline: RagPipeline | None = None
    try:
        if server is not None:
            from eval.server import Server, collection_for_corpus
            from rag.index.embed import build_embedder

            from_gold = gold if gold is not None else (questions or benchmark / "questions.jsonl")  # type: ignore[operator]
            items = deterministic_subset(load_gold(from_gold), limit)
            remote = Server(server, api_key, collection, chat, scorer=_LocalScorer(settings, build_embedder))
            remote.check()
            if load:
                assert benchmark is not None
                loaded = collection_for_corpus(benchmark / "corpus.jsonl")
                with tqdm(unit="doc", desc=f"load into {loaded}", file=sys.stderr, disable=quiet) as load_bar:
                    remote.load(benchmark / "corpus.jsonl", loaded, load_bar.update)
            weeks = question_weeks(load_gold(from_gold))
            items = split_items(items, split)
            bar = tqdm(total=len(items), unit="q", desc="eval", file=sys.stderr, disable=quiet)
            result: dict[str, Any] = run(
                remote,
                items,
                answerer=answerer,
                top_k=top_k,
                progress=lambda i: bar.update(1),
                concurrency=concurrency,
                weeks=weeks,
            )
            bar.close()
        elif benchmark is not None:
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
        if remote is None:
            assert pipeline is not None  # in-process: the pipeline was built above
            # The halves are those of the whole questions file, whatever --split and --limit keep.
            source = gold if gold is not None else (questions or benchmark / "questions.jsonl")  # type: ignore[operator]
            weeks = question_weeks(load_gold(source))
            items = split_items(items, split)
            if ablate:
                _ablate(pipeline, items, answerer, top_k, out, (benchmark or gold).name, quiet, weeks)  # type: ignore[union-attr]
                return
            bar = tqdm(total=len(items), unit="q", desc="eval", file=sys.stderr, disable=quiet)
            result = run(pipeline, items, answerer=answerer, top_k=top_k, progress=lambda i: bar.update(1), weeks=weeks)
            bar.close()
    except (GoldError, FileNotFoundError, RagError, ServerError) as e:
        typer.secho(f"error: {e}", err=True, fg=typer.colors.RED)
        raise typer.Exit(2) from e
    finally:
        if remote is not None:
            if loaded is not None:
                try:
                    remote.drop(loaded)
                except ServerError as e:
                    typer.secho(f"warning: could not remove collection {loaded}: {e}", err=True)
            remote.close()
    if judge_base_url and judge_model:
        from eval.judge import Judge, judge_rows

        judge = Judge(
            judge_base_url,
            judge_model,
            judge_api_key,
            judge_timeout,
            judge_cache or settings.data_dir / "judge_cache.sqlite",
        )
        result["summary"]["judged"] = judge_rows(judge, result["questions"], items)
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
        # The answer rules that ran, in order (rag/answer/rules/RULES less RAG_RULES_OFF); a
        # server's own are not visible from here.
        "rules": pipeline.rules.names if pipeline is not None else None,
        "rules_off": sorted(settings.rules_off_set),
        # Every weight, threshold and window the answers depended on, and the word lists' checksums.
        "settings": settings.model_dump(mode="json", exclude=SECRET_SETTINGS),
        "resources": fingerprints(),
        # --server: "settings" are this process's (the scoring's); the server's own are not visible.
        **({"server": server, "chat": chat, "collection": loaded or collection} if server else {}),
        **({"judge": {"base_url": judge_base_url, "model": judge_model}} if judge_model else {}),
    }
    if compare is not None:
        try:
            previous = json.loads((compare / "results.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            typer.secho(f"error: cannot read {compare}/results.json: {e}", err=True, fg=typer.colors.RED)
            raise typer.Exit(2) from e
        result["comparison"] = compare_runs(result, previous)
        result["flips"] = flips(result, previous)
    if out is not None:
        write_reports(result, out)
    if export is not None:
        from eval.export import write_ragas

        write_ragas(result, items, export[1])
    if junit is not None:
        from eval.export import write_junit

        write_junit(result, junit)
    metrics = result["summary"]["metrics"]
    if json_out:
        typer.echo(
            json.dumps(
                {
                    "metrics": metrics,
                    "ci95": result["summary"]["ci95"],
                    "latency_ms": result["summary"]["latency_ms"],
                    "n": result["summary"]["n"],
                    "outcomes": result["summary"]["outcomes"],
                    **({"judged": result["summary"]["judged"]} if "judged" in result["summary"] else {}),
                    **(
                        {"comparison": result["comparison"], "flips": result["flips"]} if "comparison" in result else {}
                    ),
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
    pipeline: Any,
    items: list[Any],
    answerer: str | None,
    top_k: int | None,
    out: Path | None,
    name: str,
    quiet: bool,
    weeks: list[str],
) -> None:
    from tqdm import tqdm

    from eval.ablate import ablate, markdown

    bar = tqdm(total=len(pipeline.rules.names) + 1, unit="run", desc="ablate", file=sys.stderr, disable=quiet)
    report = ablate(pipeline, items, answerer, top_k, progress=lambda _: bar.update(1), weeks=weeks)
    bar.close()
    text = markdown(report, name)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "ablation.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
        (out / "ablation.md").write_text(text, encoding="utf-8")
    typer.echo(text)


def register(app: typer.Typer) -> None:
    app.command("eval")(eval_command)
