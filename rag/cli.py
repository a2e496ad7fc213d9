"""`rag` command line: ingest, docs, delete, ask, serve, eval. Errors are translated here, once."""

from __future__ import annotations

import datetime as dt
import functools
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from rag.answer.render import sources_block
from rag.errors import RagError
from rag.models import AskResponse, Filters
from rag.settings import Settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Question answering over news archives.")


CollectionOpt = Annotated[
    str | None, typer.Option("--collection", help="The archive to use (default: RAG_COLLECTION, 'news').")
]


def _settings(collection: str | None = None) -> Settings:
    settings = Settings()
    if collection:
        from rag.store.collections import check_name

        try:
            check_name(collection)
        except RagError as e:
            raise typer.BadParameter(str(e), param_hint="--collection") from None
        settings = settings.model_copy(update={"collection": collection})
    return settings


def _pipeline(settings: Settings | None = None, collection: str | None = None) -> Any:
    from rag.pipeline import RagPipeline

    return RagPipeline(settings or _settings(collection))


def _fail(e: Exception) -> typer.Exit:
    typer.secho(f"error: {e}", err=True, fg=typer.colors.RED)
    return typer.Exit(2)


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or directories (recursive).")],
    quiet_if_unchanged: Annotated[bool, typer.Option(help="Print only the summary line when nothing changed.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the per-input report as JSON.")] = False,
    collection: CollectionOpt = None,
) -> None:
    """Parse, chunk, embed and store articles (.txt/.md news, .jsonl/.json records, .html)."""
    from rag.progress import IngestBar

    pipeline = _pipeline(collection=collection)
    try:
        pipeline.repair()
        parsed = pipeline.ingester.parse_paths(paths)
        with IngestBar(len(parsed), disable=json_out) as bar:
            report = pipeline.ingest_parsed(parsed, bar)
    except RagError as e:
        raise _fail(e) from e
    if json_out:
        typer.echo(report.model_dump_json(indent=2))
    else:
        for item in report.items:
            if item.status == "failed":
                typer.secho(f"failed: {item.input}: {item.reason}", err=True, fg=typer.colors.YELLOW)
            elif not (quiet_if_unchanged and item.status == "unchanged") and len(report.items) <= 50:
                typer.echo(f"{item.status}: {item.input} -> {item.doc_id} ({item.chunks} chunks)")
        typer.echo(report.summary())
    if report.failed:
        raise typer.Exit(1)


@app.command()
def docs(
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    limit: Annotated[int | None, typer.Option(min=1)] = None,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    collection: CollectionOpt = None,
) -> None:
    """List stored documents: id, title, outlet, date, chunk count."""
    try:
        items = _pipeline(collection=collection).list_documents(limit, offset)
    except RagError as e:
        raise _fail(e) from e
    if json_out:
        typer.echo(json.dumps([d.model_dump(mode="json") for d in items], indent=2, ensure_ascii=False))
        return
    for d in items:
        date = d.published.isoformat() if d.published else "----------"
        typer.echo(f"{d.doc_id:<28} {date}  {(d.source or '-')[:16]:<16} {d.chunks:>3}  {d.title[:80]}")
    typer.echo(f"{len(items)} documents")


@app.command()
def watch(
    folder: Annotated[Path, typer.Argument(help="Folder to watch (recursive).", exists=True, file_okay=False)],
    interval: Annotated[float, typer.Option(min=0.1, help="Seconds between scans.")] = 2.0,
    new_only: Annotated[bool, typer.Option(help="Skip the files already there at start.")] = False,
    collection: CollectionOpt = None,
) -> None:
    """Ingest files added to or changed in FOLDER until stopped (Ctrl-C); one line per batch."""
    from rag.ingest.watch import FolderWatcher

    pipeline = _pipeline(collection=collection)
    watcher = FolderWatcher(
        folder,
        functools.partial(pipeline.ingest_paths, root=folder),
        pipeline.settings.data_dir,
        interval,
        pipeline.settings.follow_symlinks,
    )
    if new_only:
        watcher.mark_existing()

    def on_batch(report: Any) -> None:
        for item in report.items:
            if item.status == "failed":
                typer.secho(f"failed: {item.input}: {item.reason}", err=True, fg=typer.colors.YELLOW)
        typer.echo(report.summary(), nl=True)

    def on_error(e: RagError) -> None:
        typer.secho(f"error: {e} (will retry)", err=True, fg=typer.colors.RED)

    typer.echo(f"watching {folder} every {interval:g}s (Ctrl-C stops)")
    try:
        watcher.run(on_batch, on_error)
    except KeyboardInterrupt:
        typer.echo("stopped")


@app.command()
def repair(collection: CollectionOpt = None) -> None:
    """Remove chunks left by writes that crashed before committing (older than RAG_ORPHAN_GRACE_S)."""
    try:
        n = _pipeline(collection=collection).repair()
    except RagError as e:
        raise _fail(e) from e
    typer.echo(f"removed {n} orphaned chunks")


@app.command()
def annotate(collection: CollectionOpt = None) -> None:
    """Annotate now every article whose NLP record is missing or stale (after an upgrade of the
    pipeline or of its schema), instead of on each article's first use by a question."""
    try:
        pipeline = _pipeline(collection=collection)
        report = pipeline.annotations.refresh(
            on_batch=lambda done, total: typer.echo(f"checked {done}/{total} articles", err=True)
        )
    except RagError as e:
        raise _fail(e) from e
    typer.echo(f"annotated {report.annotated} of {report.documents} articles; the others were current")


@app.command("prune-changes")
def prune_changes(
    keep_days: Annotated[float, typer.Option(min=1, help="Keep the entries of the last N days.")] = 30,
    collection: CollectionOpt = None,
) -> None:
    """Remove old change-log entries. A node whose index is older than them (down for longer
    than KEEP_DAYS) rebuilds its index from the store on its next request; no document changes."""
    try:
        n = _pipeline(collection=collection).prune_changes(keep_days)
    except RagError as e:
        raise _fail(e) from e
    typer.echo(f"removed {n} change-log entries older than {keep_days:g} days")


@app.command()
def delete(
    doc_id: Annotated[str, typer.Argument(help="Document id (see `rag docs`).")], collection: CollectionOpt = None
) -> None:
    """Remove one document and all of its chunks."""
    try:
        n = _pipeline(collection=collection).delete_document(doc_id)
    except RagError as e:
        raise _fail(e) from e
    typer.echo(f"deleted {doc_id} ({n} chunks)")


def _as_of(value: str | None) -> dt.date | None:
    from pydantic import TypeAdapter, ValidationError

    from rag.models import AsOf

    if value is None:
        return None
    try:
        return TypeAdapter(AsOf).validate_python(value)
    except ValidationError as e:
        raise typer.BadParameter(e.errors()[0]["msg"], param_hint="--as-of") from None


def print_answer(resp: AskResponse) -> None:
    if resp.time_window is not None:
        window = resp.time_window
        since = window.from_.isoformat() if window.from_ else "…"
        typer.secho(f"(read {window.phrase!r} as published {since} to {window.to.isoformat()})", err=True)
    typer.echo(resp.answer)
    if resp.citations:
        typer.echo("\n" + sources_block(resp))
    for w in resp.warnings:
        typer.secho(f"note: {w}", err=True, fg=typer.colors.YELLOW)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, in quotes.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print the response model as JSON.")] = False,
    top_k: Annotated[int | None, typer.Option("--top-k", min=1, max=50)] = None,
    source: Annotated[list[str] | None, typer.Option("--source", help="Only this outlet (repeatable).")] = None,
    since: Annotated[dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Published on or after.")] = None,
    until: Annotated[dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Published on or before.")] = None,
    doc: Annotated[list[str] | None, typer.Option("--doc", help="Only this document id (repeatable).")] = None,
    answerer: Annotated[str | None, typer.Option(help="extractive | openai")] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Answer as of this date or datetime (ISO); nothing published later is used."),
    ] = None,
    collection: CollectionOpt = None,
) -> None:
    """Answer a question with cited sources."""
    filters = Filters(
        sources=source,
        doc_ids=doc,
        published_from=since.date() if since else None,
        published_to=until.date() if until else None,
    )
    try:
        day = _as_of(as_of)
        resp = _pipeline(collection=collection).ask(
            question, top_k=top_k, filters=filters, answerer=answerer, as_of=day
        )
    except RagError as e:
        raise _fail(e) from e
    if json_out:
        typer.echo(resp.model_dump_json(indent=2))
    else:
        print_answer(resp)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (RAG_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (RAG_PORT).")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Serve the HTTP API (native /v1/ask and OpenAI-compatible /v1/chat/completions)."""
    import uvicorn

    s = _settings()
    if workers > 1 and not s.chroma_host:
        raise typer.BadParameter(
            "several workers would open the embedded Chroma store from several processes; "
            "run `chroma run` and set RAG_CHROMA_HOST/RAG_CHROMA_PORT to use --workers > 1",
            param_hint="--workers",
        )
    bind = host or s.host
    if not is_loopback(bind) and s.is_open_to_anyone and not s.allow_anonymous:
        raise typer.BadParameter(
            f"serving on {bind} with no API keys would let anyone on the network add and delete documents. "
            "Set RAG_API_KEYS and RAG_ADMIN_KEYS, or RAG_ALLOW_ANONYMOUS=true to serve an open archive on purpose.",
            param_hint="--host",
        )
    if not is_loopback(bind) and not s.admin_key_set:
        typer.secho(f"warning: serving on {bind} without RAG_ADMIN_KEYS: any reader key can write", err=True)
    uvicorn.run(
        "api.app:create_app_from_env",
        factory=True,
        host=bind,
        port=port or s.port,
        workers=workers,
        log_level="info",
        access_log=False,
        timeout_graceful_shutdown=5,  # SIGTERM stops the server even while a request is stuck
    )


def is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


gold_app = typer.Typer(no_args_is_help=True, help="Draft a gold set from an archive, then review it.")
app.add_typer(gold_app, name="gold")


@gold_app.command("draft")
def gold_draft(
    out: Annotated[Path, typer.Option(help="Write the draft here (JSON Lines).")],
    n: Annotated[int, typer.Option("--n", min=1, max=1000, help="Questions to propose.")] = 50,
    collection: CollectionOpt = None,
) -> None:
    """Propose questions from an archive (who said what, which outlets, counts, unanswerable ones)
    for a person to review with `rag gold review`: a starting point, not a benchmark."""
    from eval.draft import draft, write_jsonl

    try:
        items = draft(_pipeline(collection=collection), n)
    except RagError as e:
        raise _fail(e) from e
    if not items:
        typer.secho("error: the archive holds no documents to draft questions from", err=True, fg=typer.colors.RED)
        raise typer.Exit(2)
    write_jsonl(items, out)
    kinds: dict[str, int] = {}
    for item in items:
        kinds[item["type"]] = kinds.get(item["type"], 0) + 1
    typer.echo(f"{len(items)} draft questions ({', '.join(f'{v} {k}' for k, v in kinds.items())}) -> {out}")
    typer.echo(f"review them: rag gold review {out}")


@gold_app.command("review")
def gold_review(
    draft_file: Annotated[Path, typer.Argument(help="A file from `rag gold draft`.", exists=True, dir_okay=False)],
    out: Annotated[
        Path | None, typer.Option(help="Where the reviewed set goes (default: <draft>.reviewed.jsonl).")
    ] = None,
) -> None:
    """Walk through a draft: keep, edit or drop each question."""
    from eval.draft import write_jsonl
    from eval.review import load_items, review

    try:
        items = load_items(draft_file)
    except ValueError as e:
        raise _fail(ValueError(f"{draft_file}: not JSON Lines ({e})")) from e
    kept, counts = review(items, typer.prompt, typer.echo)
    target = out or draft_file.with_suffix(".reviewed.jsonl")
    write_jsonl(kept, target)
    typer.echo(
        f"kept {counts['keep']}, edited {counts['edit']}, dropped {counts['drop']}, "
        f"left unreviewed {counts['unreviewed']} -> {target}"
    )


def main() -> None:
    try:
        from eval.cli import register

        register(app)
    except ImportError:
        pass
    app()


if __name__ == "__main__":
    main()
