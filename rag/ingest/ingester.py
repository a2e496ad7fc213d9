"""Ingestion: parse, skip unchanged, chunk, embed in batches across documents, commit."""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import InvalidDocument
from rag.index.embed import Embedder
from rag.ingest.chunker import SentenceChunker, document_hash
from rag.ingest.files import FoundFile, Unreadable, find_files, read_regular
from rag.ingest.parsers import ParseLimits, RecordError, is_blank, parse_bytes, parse_record
from rag.models import Chunk, Document, IngestItem, IngestReport
from rag.nlp.annotate import Annotator
from rag.settings import Settings
from rag.store.chroma import ChromaStore, version_key

BATCH_CHUNKS = 128

Progress = Callable[[int, int], None]  # (documents done, chunks embedded so far)


@dataclass
class Parsed:
    input: str
    doc: Document | None = None
    error: str | None = None


def embed_text(title: str, chunk_text: str) -> str:
    """What the embedder sees: the headline gives a mid-article chunk its context."""
    return f"{title}\n{chunk_text}" if title else chunk_text


def _computed(embedder: Embedder) -> int:
    """Texts the model really embedded so far (a cached embedder counts them; others report 0)."""
    return int(getattr(embedder, "computed", 0))


class Ingester:
    def __init__(
        self,
        settings: Settings,
        store: ChromaStore,
        embedder: Embedder,
        chunker: SentenceChunker,
        annotator: Annotator | None = None,
    ):
        """`annotator`: annotates each written document once (None: no annotations are stored)."""
        self._settings = settings
        self._store = store
        self._embedder = embedder
        self._chunker = chunker
        self._annotator = annotator

    @property
    def limits(self) -> ParseLimits:
        return ParseLimits(max_html_bytes=self._settings.max_html_bytes, max_json_depth=self._settings.max_json_depth)

    # -- parsing --------------------------------------------------------------------------
    def parse_file(self, found: FoundFile) -> list[Parsed]:
        """One found file; its id comes from its path relative to its root (`file_doc_id`)."""
        display = str(found.path)
        try:
            raw = read_regular(found, self._settings.max_file_bytes)
        except Unreadable as e:
            return [Parsed(display, error=str(e))]
        return self.parse_upload(raw, found.name, display=display, path=found.name)

    def parse_upload(
        self, raw: bytes, filename: str | None, display: str | None = None, path: str | None = None
    ) -> list[Parsed]:
        """One uploaded file. A part with no file name is a text article whose id is its content
        hash, so two nameless uploads never overwrite each other."""
        if not filename:
            filename = f"{hashlib.sha1(raw).hexdigest()[:16]}.txt"
            path = None
        display = display or filename
        out: list[Parsed] = []
        try:
            for item in parse_bytes(raw, filename, path=path or filename, limits=self.limits):
                if isinstance(item, RecordError):
                    out.append(Parsed(item.input, error=item.reason))
                else:
                    out.append(Parsed(display if len(out) == 0 else f"{display}#{len(out)}", doc=item))
        except InvalidDocument as e:
            return [*out, Parsed(display, error=str(e))]
        except (ValueError, RecursionError) as e:  # a parser's failure on one input stays with that input
            return [*out, Parsed(display, error=f"cannot parse ({type(e).__name__}: {str(e)[:200]})")]
        if not out:
            return [Parsed(display, error="no documents found")]
        return out

    @staticmethod
    def parse_records(records: Sequence[Any], label: str = "document") -> list[Parsed]:
        """JSON records from an API body, each judged on its own."""
        out: list[Parsed] = []
        for i, record in enumerate(records):
            where = f"{label}[{i}]"
            try:
                out.append(Parsed(where, doc=parse_record(record, where)))
            except InvalidDocument as e:
                out.append(Parsed(where, error=str(e)))
        return out

    # -- ingestion ------------------------------------------------------------------------
    def find(self, paths: Sequence[Path], root: Path | None = None) -> Iterator[FoundFile]:
        """The files under `paths` this service may read (and the refused ones, with reasons)."""
        return find_files(paths, self._settings.data_dir, self._settings.follow_symlinks, root)

    def parse_paths(self, paths: Sequence[Path], root: Path | None = None) -> list[Parsed]:
        """Every document under `paths`, plus a failed entry for each path that does not exist.
        `root`: the folder the paths were found in (a watched one), for their ids and links."""
        parsed: list[Parsed] = []
        for found in self.find(paths, root):
            parsed += self.parse_file(found)
        for p in paths:
            if not p.exists() and not p.is_symlink():
                parsed.append(Parsed(str(p), error="no such file or directory"))
        return parsed

    def ingest_paths(
        self, paths: Sequence[Path], progress: Progress | None = None, root: Path | None = None
    ) -> IngestReport:
        return self.ingest(self.parse_paths(paths, root), progress)

    def ingest(self, parsed: Iterable[Parsed], progress: Progress | None = None) -> IngestReport:
        started = time.perf_counter()
        embedded_before = _computed(self._embedder)
        report = IngestReport()
        items = list(parsed)
        pending: list[tuple[Parsed, Document, str]] = []
        done = 0

        def flush() -> None:
            nonlocal done
            if pending:
                report.items.extend(self._write(pending))
                done += len(pending)
                pending.clear()
                if progress:
                    progress(done, _computed(self._embedder) - embedded_before)

        seen: dict[str, tuple[str, str]] = {}  # doc id -> (input, content hash) in this run
        for p in items:
            if p.doc is None:
                report.items.append(IngestItem(input=p.input, status="failed", reason=p.error))
                done += 1
                continue
            doc = p.doc
            if is_blank(doc.text):
                report.items.append(
                    IngestItem(input=p.input, doc_id=doc.doc_id, status="failed", reason="no visible text")
                )
                done += 1
                continue
            if len(doc.text) > self._settings.max_doc_chars:
                report.items.append(
                    IngestItem(
                        input=p.input,
                        doc_id=doc.doc_id,
                        status="failed",
                        reason=f"document too large ({len(doc.text)} chars > {self._settings.max_doc_chars})",
                    )
                )
                done += 1
                continue
            content = document_hash(doc, self._chunker.fingerprint, self._embedder.name)
            if doc.doc_id in seen:
                first, first_content = seen[doc.doc_id]
                if first_content != content:  # two inputs, one id: never a silent "updated"
                    reason = f"id '{doc.doc_id}' is also the id of {first} in this run (rename one of them)"
                    report.items.append(IngestItem(input=p.input, doc_id=doc.doc_id, status="failed", reason=reason))
                    done += 1
                    continue
                flush()  # the same document twice: written once, then 'unchanged'
            else:
                seen[doc.doc_id] = (p.input, content)
            pending.append((p, doc, content))
            if len(pending) >= 16:
                flush()
        flush()
        # "Unchanged" in the store is not "findable on every node": every node checks its index of
        # them again (one log entry per run), so sending a document again heals a node that missed
        # its commit.
        self._store.announce(
            list(dict.fromkeys(i.doc_id for i in report.items if i.status == "unchanged" and i.doc_id))
        )
        report.seconds = time.perf_counter() - started
        report.embedded = _computed(self._embedder) - embedded_before
        return report

    def _write(self, batch: list[tuple[Parsed, Document, str]]) -> list[IngestItem]:
        records = self._store.doc_records([d.doc_id for _, d, _ in batch])
        same = {d.doc_id: records[d.doc_id] for _, d, h in batch if records.get(d.doc_id, {}).get("content_hash") == h}
        stored = self._store.visible_chunk_counts(same) if same else {}
        write_id = uuid.uuid4().hex[:16]  # fresh per write: chunk ids are never reused
        results: list[IngestItem] = []
        todo: list[tuple[Parsed, Document, str, list[Chunk], str]] = []
        for p, doc, h in batch:
            existing = records.get(doc.doc_id)
            if doc.doc_id in same and stored.get(doc.doc_id, 0) >= int(same[doc.doc_id].get("chunks", 0)) > 0:
                results.append(
                    IngestItem(
                        input=p.input, doc_id=doc.doc_id, status="unchanged", chunks=int(same[doc.doc_id]["chunks"])
                    )
                )
                continue
            chunks = self._chunker.chunk(doc, write_id)
            if not chunks:
                results.append(IngestItem(input=p.input, doc_id=doc.doc_id, status="failed", reason="no text to index"))
                continue
            # Same content whose chunks went missing is written again: a re-post heals it.
            todo.append((p, doc, h, chunks, "updated" if existing else "added"))
        if not todo:
            return results
        texts = [embed_text(doc.title, c.text) for _, doc, _, chunks, _ in todo for c in chunks]
        vectors = np.concatenate(
            [self._embedder.embed(texts[i : i + BATCH_CHUNKS]) for i in range(0, len(texts), BATCH_CHUNKS)]
        )
        writes = []
        pos = 0
        for _, doc, h, chunks, _ in todo:
            writes.append((doc, h, chunks, vectors[pos : pos + len(chunks)]))
            pos += len(chunks)
        replaced = {doc.doc_id: version_key(records[doc.doc_id]) for _, doc, _, _, _ in todo if doc.doc_id in records}
        annotations = None
        if self._annotator is not None:
            made = self._annotator.annotate([doc.text for _, doc, _, _, _ in todo])
            annotations = {doc.doc_id: a for (_, doc, _, _, _), a in zip(todo, made, strict=True)}
        self._store.write_documents(writes, write_id, replaced, annotations)  # the records were read above
        results += [
            IngestItem(input=p.input, doc_id=doc.doc_id, status=status, chunks=len(chunks))
            for p, doc, _, chunks, status in todo
        ]
        return results
