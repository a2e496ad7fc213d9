"""Prometheus metrics, one registry per app (no module-level state)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "rag_http_requests_total", "HTTP requests", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "rag_http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )
        self.answers = Counter("rag_answers_total", "Answers given", ["answerer", "abstained"], registry=self.registry)
        # A chat frontend's background prompts (title, tags, follow-ups ...): not answers.
        self.task_prompts = Counter(
            "rag_chat_task_prompts_total", "Chat frontend task prompts answered", ["task"], registry=self.registry
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
