"""Hostile folders and feeds, each case one of the reported failures: a link in a watched folder
served another file's content; two feed items or two same-stem files became one document."""

from __future__ import annotations

import functools
from pathlib import Path

from rag.ingest.watch import FolderWatcher
from rag.pipeline import RagPipeline
from tests.conftest import SEEDS, make_settings

SECRET = "The vault combination is 31-41-59, the treasurer wrote."


def _stored_texts(pipeline: RagPipeline) -> str:
    return "\n".join(pipeline.get_document(d.doc_id).text for d in pipeline.list_documents())


def _folder_with_links(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(f"Vault note\n\n{SECRET}\n")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "harbour.txt").write_text("Harbour note\n\nThe harbour council voted on Tuesday to build a pier.\n")
    (inbox / "notes.txt").symlink_to(outside / "secret.txt")
    (inbox / "archive").symlink_to(outside, target_is_directory=True)
    (inbox / "pier.txt").symlink_to(inbox / "harbour.txt")  # inside the root, still a link
    return inbox


def test_ingest_never_reads_through_a_symlink(tmp_path: Path, fresh_pipeline) -> None:  # type: ignore[no-untyped-def]
    inbox = _folder_with_links(tmp_path)
    report = fresh_pipeline.ingest_paths([inbox])
    failed = {Path(i.input).name: i.reason for i in report.items if i.status == "failed"}
    assert set(failed) == {"notes.txt", "archive", "pier.txt"}, report.items
    assert all("symbolic link" in reason for reason in failed.values()), failed
    assert report.count("added") == 1
    assert SECRET not in _stored_texts(fresh_pipeline)
    # Named on the command line, a link is refused the same way.
    named = fresh_pipeline.ingest_paths([inbox / "notes.txt"])
    assert [i.status for i in named.items] == ["failed"] and "symbolic link" in (named.items[0].reason or "")


def test_allowed_links_stay_inside_the_root(tmp_path: Path, seeded_pipeline) -> None:  # type: ignore[no-untyped-def]
    inbox = _folder_with_links(tmp_path)
    settings = make_settings(tmp_path / "data", follow_symlinks=True)
    pipeline = RagPipeline(settings, embedder=seeded_pipeline.embedder)
    report = pipeline.ingest_paths([inbox])
    by_name = {Path(i.input).name: i for i in report.items}
    assert by_name["pier.txt"].status == "added"  # resolves inside the folder: read
    assert by_name["notes.txt"].status == "failed" and "outside" in (by_name["notes.txt"].reason or "")
    assert by_name["archive"].status == "failed"
    assert SECRET not in _stored_texts(pipeline)


def test_watch_reports_links_and_never_reads_them(tmp_path: Path, fresh_pipeline) -> None:  # type: ignore[no-untyped-def]
    inbox = _folder_with_links(tmp_path)
    watcher = FolderWatcher(
        inbox, functools.partial(fresh_pipeline.ingest_paths, root=inbox), fresh_pipeline.settings.data_dir, 0.1
    )
    assert watcher.poll() is None  # the first round only sees the files; the next takes the still ones
    report = watcher.poll()
    assert report is not None
    failed = {Path(i.input).name: i.reason for i in report.items if i.status == "failed"}
    assert {"notes.txt", "pier.txt"} <= set(failed) and all("symbolic link" in r for r in failed.values())
    assert SECRET not in _stored_texts(fresh_pipeline)
    # A regular file swapped for a link later is refused too.
    (inbox / "harbour.txt").unlink()
    (inbox / "harbour.txt").symlink_to(tmp_path / "outside" / "secret.txt")
    watcher.poll()
    again = watcher.poll()
    assert again is not None and [i.status for i in again.items if Path(i.input).name == "harbour.txt"] == ["failed"]
    assert SECRET not in _stored_texts(fresh_pipeline)


FEED = b"""<?xml version="1.0"?>
<rss version="2.0"><channel><title>Harbour Daily</title>
<item><title>Council votes on the pier</title><link>https://harbour.example/news</link>
<pubDate>Tue, 05 Mar 2024 10:00:00 GMT</pubDate><description>The council voted on the pier.</description></item>
<item><title>Ferry strike ends</title><link>https://harbour.example/news</link>
<pubDate>Tue, 05 Mar 2024 11:00:00 GMT</pubDate><description>The ferry strike ended on Tuesday.</description></item>
<item><title>Lighthouse reopens</title><link>https://harbour.example/news</link>
<pubDate>Wed, 06 Mar 2024 09:00:00 GMT</pubDate><description>The lighthouse reopened to visitors.</description></item>
</channel></rss>
"""


def test_feed_items_sharing_a_link_stay_three_documents(tmp_path: Path, fresh_pipeline) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "harbour.xml").write_bytes(FEED)
    report = fresh_pipeline.ingest_paths([tmp_path / "in"])
    assert report.count("added") == 3 and report.count("updated") == 0, report.items
    titles = {d.title for d in fresh_pipeline.list_documents()}
    assert titles == {"Council votes on the pier", "Ferry strike ends", "Lighthouse reopens"}


def test_same_stem_files_are_distinct_documents(tmp_path: Path, fresh_pipeline) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "archive"
    for rel, text in [
        ("2023/report.txt", "Report 2023\n\nThe harbour budget rose in 2023."),
        ("2024/report.txt", "Report 2024\n\nThe harbour budget fell in 2024."),
        ("2024/report.md", "# Report notes\n\nThe harbour notes for 2024 were filed."),
    ]:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    report = fresh_pipeline.ingest_paths([root])
    assert report.count("added") == 3 and report.failed == 0, report.items
    assert len({i.doc_id for i in report.items}) == 3
    # A flat folder keeps its ids (the seeds' file stems).
    seeds = fresh_pipeline.ingest_paths([SEEDS])
    assert "000_c52a582f011e3939" in {i.doc_id for i in seeds.items}


def test_a_remaining_id_collision_is_a_failure(tmp_path: Path, fresh_pipeline) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "flat").mkdir()
    (tmp_path / "flat" / "report.md").write_text("# Notes\n\nThe harbour notes were filed on Monday.")
    (tmp_path / "flat" / "report.txt").write_text("Report\n\nThe harbour budget rose this year.")
    report = fresh_pipeline.ingest_paths([tmp_path / "flat"])
    statuses = sorted(i.status for i in report.items)
    assert statuses == ["added", "failed"], report.items
    [failure] = [i for i in report.items if i.status == "failed"]
    assert "report" in (failure.reason or "") and "id" in (failure.reason or "")
