"""A run's questions for other tools: Ragas's evaluation dataset, and JUnit XML for CI.

Ragas (0.2+, `EvaluationDataset.from_jsonl`) reads one `SingleTurnSample` per line:
`user_input` (the question), `response` (the answer text, without the Sources list),
`retrieved_contexts` (the passages the answer cites, as in the response's citations, the same
whether the library or a server answered) and `reference` (the reference answer, else the
acceptable answers, else the key facts). Refusals are kept, with their refusal as the response.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from eval.gold import GoldItem
from eval.outcomes import CLASSES, is_miss


def _reference(item: GoldItem | None) -> str:
    if item is None:
        return ""
    if item.reference_answer:
        return item.reference_answer
    if item.answers:
        return item.answers[0] if len(item.answers) == 1 else " / ".join(item.answers)
    if item.key_facts:
        return "; ".join(p[0] for p in item.key_facts if p)
    return "" if item.answerable else "The archive does not answer this question."


def ragas_samples(result: dict[str, Any], items: list[GoldItem]) -> list[dict[str, Any]]:
    by_id = {i.id: i for i in items}
    samples = []
    for q in result["questions"]:
        contexts = list(dict.fromkeys(c["text"] for c in q.get("citations", []) if c.get("text")))
        samples.append(
            {
                "user_input": q["question"],
                "response": q["answer"],
                "retrieved_contexts": contexts,
                "reference": _reference(by_id.get(q["id"])),
            }
        )
    return samples


def write_ragas(result: dict[str, Any], items: list[GoldItem], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for sample in ragas_samples(result, items):
            f.write(json.dumps(sample, ensure_ascii=False) + "\n")


def junit_xml(result: dict[str, Any]) -> ET.ElementTree:
    """One <testcase> per question; a miss is a <failure> whose type is its outcome class."""
    name = str(result.get("config", {}).get("name", "eval"))
    qs = result["questions"]
    failures = sum(1 for q in qs if is_miss(q.get("outcome", "right")))
    seconds = sum(q.get("retrieve_ms", 0.0) + q.get("answer_ms", 0.0) for q in qs) / 1000
    suites = ET.Element("testsuites", name=f"rag eval {name}", tests=str(len(qs)), failures=str(failures))
    suite = ET.SubElement(
        suites, "testsuite", name=name, tests=str(len(qs)), failures=str(failures), errors="0", time=f"{seconds:.3f}"
    )
    for q in qs:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"{name}.{q['type']}",
            name=f"{q['id']}: {q['question'][:120]}",
            time=f"{(q.get('retrieve_ms', 0.0) + q.get('answer_ms', 0.0)) / 1000:.3f}",
        )
        outcome = q.get("outcome", "right")
        if is_miss(outcome):
            failure = ET.SubElement(case, "failure", type=outcome, message=CLASSES.get(outcome, outcome))
            detail = f"\nreason: {q['outcome_detail']}" if q.get("outcome_detail") else ""
            failure.text = f"{q['question']}\nanswer: {q['answer']}{detail}"
    ET.indent(suites)
    return ET.ElementTree(suites)


def write_junit(result: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    junit_xml(result).write(path, encoding="utf-8", xml_declaration=True)
