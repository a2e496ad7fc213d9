"""Both answerers run the same abstention rules: the LLM is asked only what they let through."""

from __future__ import annotations

import pytest

from rag.pipeline import RagPipeline
from tests.conftest import UvicornThread
from tests.fakes.openai_stub import create_stub


@pytest.fixture()
def stub_pipeline(seeded_pipeline):  # type: ignore[no-untyped-def]
    app, seen = create_stub("good", needle="Oman")
    with UvicornThread(app) as stub:
        settings = seeded_pipeline.settings.updated(openai_base_url=f"{stub.url}/v1", openai_api_key="test")
        yield settings, seen


def test_the_llm_answerer_abstains_where_the_rules_refuse(seeded_pipeline, stub_pipeline) -> None:  # type: ignore[no-untyped-def]
    settings, seen = stub_pipeline
    p = RagPipeline(settings, embedder=seeded_pipeline.embedder, store=seeded_pipeline.store)
    resp = p.ask("What did Oman say about oil prices?", answerer="openai")
    assert resp.abstained and "what Oman said about oil prices" in resp.answer
    assert seen == []  # the LLM was never asked


def test_switched_off_the_llm_is_asked(seeded_pipeline, stub_pipeline) -> None:  # type: ignore[no-untyped-def]
    settings, seen = stub_pipeline
    p = RagPipeline(
        settings.updated(rules_off="speaker_topic"), embedder=seeded_pipeline.embedder, store=seeded_pipeline.store
    )
    resp = p.ask("What did Oman say about oil prices?", answerer="openai")
    assert resp.answerer == "openai" and len(seen) == 1 and not resp.abstained
