"""One settings object, read once at start-up and passed down explicitly."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, Field, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

DEFAULT_EMBED_MODEL = "all-MiniLM-L6-v2"


class ScoringSettings(BaseModel):
    """The extractive answerer's sentence score, set by hand when it was written and kept since
    (eval/tune.py: the rank penalty at 0 or 0.02-0.04 loses tuning questions): relevance =
    semantic_weight * similarity + (1 - semantic_weight) * coverage of the question's words -
    rank_penalty * passage rank; "what did X say" questions weigh similarity, coverage of the
    topic and X being the speaker instead, less other_speaker_penalty when somebody else is quoted."""

    semantic_weight: float = 0.55
    rank_penalty: float = 0.01
    speaker_similarity_weight: float = 0.45
    speaker_topic_weight: float = 0.25
    speaker_match_weight: float = 0.3
    other_speaker_penalty: float = 0.1


class SelectionSettings(BaseModel):
    """Which of the scored sentences the extractive answer quotes."""

    fact_sentences: int = 5  # eval/tune.py on the tuning weeks, 2026-11-25
    fact_floor: float = 0.5  # eval/tune.py, tuning weeks only, 2026-11-25 (fourth run, 157 extra questions; was 0.6)
    speaker_floor: float = 0.7  # share of the best sentence, for speaker questions
    outlet_floor: float = 0.75  # share of the best relevance an outlet's article needs to be listed
    duplicate_similarity: float = 0.8  # one claim from several outlets: cited together
    redundancy_penalty: float = 0.25  # per unit of similarity above 0.5 to a chosen sentence


# One section per rule of rag/answer/rules/ that has a setting; the rule's file says what it does.
class ShortSentenceSettings(BaseModel):
    min_words: int = 5


class AnswerTypeSettings(BaseModel):
    weight: float = 0.2  # eval/tune.py, tuning weeks only, 2026-11-25 (third run; was 0.3)


class ListSettings(BaseModel):
    weight: float = 0.35  # eval/tune.py, tuning weeks only, 2026-11-25 (0.25-0.45 tie)


class RoleSettings(BaseModel):
    weight: float = 0.3  # same run (0.3 and 0.4 tie; 0.2 loses a tuning-week role question)


class HolderSettings(BaseModel):
    weight: float = 0.3  # tuning weeks + extra tuning gold, 2026-11-26: 0.2-0.5 gain one question, 0.1 none


class NamesInArticleSettings(BaseModel):
    share: float = 0.75  # of a long question's name words, needed in the answering article
    # Two forms of a name ("Revolutionary", "Revolution") match when one extends the other and
    # they share at least this many letters. Tuning-week questions, 2026-11-26: 5-7 tie, off (99)
    # loses one; 6 so that "guard" does not name "Guardian".
    variant_prefix: int = 6
    # A name term more than this share of the archive's chunks hold is not required: its absence
    # says nothing ("Which U.S. state repealed ...?" answered by an article about Michigan that
    # never writes "U.S."; "america" is in 24-29% of the benchmarks' chunks, the next name, Trump,
    # in 9%). 1.0: every name is required.
    common_share: float = 0.15


class RestatedSettings(BaseModel):
    # A sentence whose content words are at least this share of the question's own words only
    # restates the question. Above 1 turns it off.
    overlap: float = 0.8


class RulesSettings(BaseModel):
    short_sentence: ShortSentenceSettings = Field(default_factory=ShortSentenceSettings)
    answer_type: AnswerTypeSettings = Field(default_factory=AnswerTypeSettings)
    list_names: ListSettings = Field(default_factory=ListSettings)
    role: RoleSettings = Field(default_factory=RoleSettings)
    holder: HolderSettings = Field(default_factory=HolderSettings)
    names_in_article: NamesInArticleSettings = Field(default_factory=NamesInArticleSettings)
    restated: RestatedSettings = Field(default_factory=RestatedSettings)


# The flat names of earlier releases (constructor keywords and RAG_<NAME> environment variables)
# and where each value lives now. `asked_claim=false` switches the asked_claim rule off.
LEGACY_NAMES: dict[str, tuple[str, ...]] = {
    "semantic_weight": ("scoring", "semantic_weight"),
    "rank_penalty": ("scoring", "rank_penalty"),
    "speaker_similarity_weight": ("scoring", "speaker_similarity_weight"),
    "speaker_topic_weight": ("scoring", "speaker_topic_weight"),
    "speaker_match_weight": ("scoring", "speaker_match_weight"),
    "other_speaker_penalty": ("scoring", "other_speaker_penalty"),
    "fact_sentences": ("selection", "fact_sentences"),
    "fact_floor": ("selection", "fact_floor"),
    "speaker_floor": ("selection", "speaker_floor"),
    "outlet_floor": ("selection", "outlet_floor"),
    "duplicate_similarity": ("selection", "duplicate_similarity"),
    "redundancy_penalty": ("selection", "redundancy_penalty"),
    "min_sentence_words": ("rules", "short_sentence", "min_words"),
    "answer_type_weight": ("rules", "answer_type", "weight"),
    "list_weight": ("rules", "list_names", "weight"),
    "role_weight": ("rules", "role", "weight"),
    "holder_weight": ("rules", "holder", "weight"),
    "entity_share": ("rules", "names_in_article", "share"),
    "name_variant_prefix": ("rules", "names_in_article", "variant_prefix"),
    "echo_overlap": ("rules", "restated", "overlap"),
}
_FALSE = {"0", "false", "no", "off"}


def _nest_legacy(data: dict[str, Any]) -> dict[str, Any]:
    """Moves flat legacy keys into their sections (a nested value given too wins)."""
    out = dict(data)
    for flat, path in LEGACY_NAMES.items():
        if flat not in out:
            continue
        value = out.pop(flat)
        node = out
        for key in path[:-1]:
            child = node.get(key)
            child = (
                dict(child) if isinstance(child, dict) else (child.model_dump() if isinstance(child, BaseModel) else {})
            )
            node[key] = child
            node = child
        node.setdefault(path[-1], value)
    if "asked_claim" in out:
        on = out.pop("asked_claim")
        if str(on).strip().lower() in _FALSE:
            out["rules_off"] = ",".join(filter(None, [str(out.get("rules_off") or ""), "asked_claim"]))
    return out


class _LegacyEnv(PydanticBaseSettingsSource):
    """RAG_<flat name> environment variables of earlier releases. They are passed on flat and
    moved into their sections by Settings._legacy_names once every source is read, so a nested
    name given anywhere wins and RAG_ASKED_CLAIM=false adds to RAG_RULES_OFF."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        prefix = str(self.config.get("env_prefix", ""))
        flat = {
            name: os.environ[key]
            for name in [*LEGACY_NAMES, "asked_claim"]
            if (key := f"{prefix}{name}".upper()) in os.environ
        }
        return flat  # nested by Settings._legacy_names, after every source is read


class Settings(BaseSettings):
    """Every knob of the service. Defaults work offline with no key and no model server."""

    model_config = SettingsConfigDict(
        env_prefix="RAG_", env_file=".env", env_file_encoding="utf-8", extra="ignore", env_nested_delimiter="__"
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """The environment's nested names first, then its flat legacy names, then the .env file."""
        return init_settings, env_settings, _LegacyEnv(settings_cls), dotenv_settings, file_secret_settings

    @model_validator(mode="before")
    @classmethod
    def _legacy_names(cls, data: Any) -> Any:
        return _nest_legacy(data) if isinstance(data, dict) else data

    # Storage
    data_dir: Path = Path("./data")
    chroma_host: str = ""
    chroma_port: int = 8000
    collection: str = "news"
    # Seconds a connect to the store may hold up other requests before they get 503.
    store_connect_timeout_s: float = 10.0
    # Seconds any one call to a Chroma server may take before the request gets 503 with
    # Retry-After (chromadb's own client would wait forever on a stopped or wedged server).
    store_timeout_s: float = 30.0
    # Chunks of a write that never committed are removed by `rag repair` (and `rag ingest`) only
    # once they are this old: a younger one may belong to a write still in flight on another node.
    orphan_grace_s: float = 3600.0
    # Embedded store: writes are refused (503) while the data dir's disk has less free space than
    # this plus the write's size. Chroma must never meet a full disk itself: its embedded engine
    # does not recover from a failed write without a restart. (Elasticsearch's flood-stage
    # watermark, for the same reason.) Every node, with a Chroma server too: its own lexical index
    # and embedding rows are not written under this much free space; the node answers 503 and
    # /readyz says not ready until space is freed, then it catches up by itself.
    min_free_disk_mb: int = 100

    # Embeddings: the bundled MiniLM, or "openai:<model>" for an OpenAI-compatible endpoint.
    embed_model: str = DEFAULT_EMBED_MODEL
    embed_batch_size: int = 32
    embed_cache: Path | None = None  # default: <data_dir>/embed_cache.sqlite

    # Chunking (tokens of the embedder's tokenizer; MiniLM reads at most 256).
    chunk_size: int = 200
    chunk_overlap: int = 40

    # Retrieval
    retrieval: Literal["hybrid", "dense", "lexical"] = "hybrid"
    top_k: int = 6
    candidate_depth: int = 40
    rrf_k: int = 60
    dedup_threshold: float = 0.9
    # Filtered dense search. A filter that keeps at most `filter_direct_max` chunks (known from the
    # lexical index) is answered exactly from their memory-mapped embeddings. A broader one takes
    # the nearest chunks unfiltered, 2 / (kept share) times as many as wanted (at least 2, at most
    # `filter_overfetch_max`), and filters them; only when that is not enough does Chroma's own
    # filtered search run (several times slower). `filter_overfetch` is the factor used when the
    # share is unknown (1 turns over-fetching off). bench/scale.py.
    filter_direct_max: int = 10_000
    # Dense search scores every stored embedding exactly (a matrix-vector product over the index's
    # memory-mapped file) while the file holds at most this many rows: Chroma's HNSW search can
    # leave a stored chunk unreachable (LexicalIndex.nearest_live). Larger archives use Chroma's
    # search with the filter settings below. About 16 ms more per search than Chroma's at 100k (bench/scale.py).
    exact_dense_max_rows: int = 250_000
    filter_overfetch: int = 4
    filter_overfetch_max: int = 32
    # The local lexical index applies the store's change log: entries are re-read this far behind
    # the last applied sequence number (writers' clocks, a log entry that lands late), and the log
    # is read at least this often even when the generation token did not change. A write whose
    # commit lands late is not bound by it: its entry stays pending until the commit is seen or the
    # write is proven over (at most `orphan_grace_s`).
    change_overlap_s: float = 30.0
    resync_interval_s: float = 5.0
    # Ranking prior (see rag.retrieval.hybrid.RankingPrior), calibrated on the tuning half of the
    # RealTime QA dev weeks only (eval/tune.py); units of one top-ranked hit.
    recency_weight: float = 2.0  # eval/tune.py on the tuning weeks, tantivy BM25, 2026-11-25
    recency_half_life_days: float = 16.0  # same run (4-16 days within 0.02 of hit@5 + MRR@10)
    # Ranked articles kept for the answer and returned with it (eval scores this ranking).
    ranking_depth: int = 10
    # A day named in a question ("on October 27") is reported that day or the next.
    day_lag_days: int = 1
    # "Which city did the strike bring to a standstill this week?": a window from news framing
    # relative to as_of (TimeWindow.relative) in which the question is refused is widened to
    # every article up to as_of, and `time_window.note` says so; false: the refusal stands.
    # Tuning weeks of realtimeqa-2023, 2026-12-07: refused 6 -> 1 of 96, strict containment +3,
    # first sentence +2, short-answer EM +2 (realtimeqa-dev refuses none). Also widening a
    # factoid answer without a short answer gained nothing more (one more "Italy" for "Paris").
    relative_window_fallback: bool = True

    # NLP layer (rag/nlp): every article is annotated at ingest (sentences, entities, speech
    # attributions) and the record stored beside its chunks; queries read it, cached in memory
    # (at most `nlp_cache_docs` articles as compressed JSON, about 3 KB each, the most recent
    # `nlp_cache_hot_docs` of them also parsed, about 110 KB each: rag/nlp/service.py).
    nlp_annotate: bool = True
    nlp_batch_size: int = 16
    # Worker processes that annotate a batch of articles (spaCy's pass uses one core; each
    # worker holds its own pipeline, ~150 MB); 0: the writing process annotates. bench/ingest.py.
    nlp_workers: int = Field(default=2, ge=0)
    nlp_cache_docs: int = 4096
    nlp_cache_hot_docs: int = 256
    # The speakers of "what did X say?" answers: the answerer's speech patterns joined by the
    # stored annotation's speech attributions (the dependency parse); false: the patterns alone.
    nlp_speakers: bool = True

    # Answering
    answerer: Literal["extractive", "openai"] = "extractive"
    # Answer first (rag/answer/extractive/short_answer.py): a factoid question's answer opens with the entity,
    # number or date of the asked kind that the best cited sentence states; the sentence that
    # holds it comes first, and further evidence follows while the answer stays within
    # `answer_word_budget` words (0: all of it). Tuning weeks of realtimeqa-dev, 2026-12-02: a
    # budget of 60 gives answer p50 48 words but strict containment 0.69 (0.81 without), because a
    # wrong short answer's sentence then crowds out the evidence that holds the answer; off until
    # the short answer is right more often.
    short_answer: bool = True
    # Whether the answer text opens with the short answer, in the sentence that states it
    # ("China. China assumes ... [1]."). Tuning weeks of realtimeqa-dev, 2026-12-02: first-sentence
    # containment 0.604 with it, 0.500 without, strict containment 0.812 both. (As a sentence of
    # its own, "China [1].", it had lowered first-sentence containment to 0.458.)
    short_answer_first: bool = True
    answer_word_budget: int = 0
    # An answer that opens with a short answer keeps at most this many claims (0: all). Tuning
    # weeks of realtimeqa-dev, 2026-12-02: 3 claims give answer p50 89 words (134 with all) at
    # strict containment 0.79 (0.81); 2 give 64 words at 0.75. Off: a later claim often holds
    # the answer that a wrong short answer's sentence does not.
    short_answer_max_claims: int = 0
    # Among the entities of the asked kind in the cited sentences: a sentence's score (as a share
    # of the best), plus this per other cited sentence stating the same entity (up to 3), less
    # this per place of its label in the asked labels (rag/resources/asked_labels.tsv).
    short_answer_vote_weight: float = 0.1
    short_answer_label_step: float = 0.05
    # ... plus this times the share of the three words before it that the question says (a title).
    short_answer_context_weight: float = 0.2
    # ... plus this times the share of the asking sentence's content words its sentence holds.
    short_answer_asking_weight: float = 0.5
    # ... less this per place of its claim in the answerer's order of evidence (tuning weeks,
    # 2026-12-02: 0 / 0.3 / 1.0 gave strict containment 0.625 / 0.667 / 0.688 at budget 60).
    short_answer_order_weight: float = 1.0
    # An open ask ("Which animal ...?", a noun rag/resources/asked_labels.tsv does not list) may
    # also be answered by a stored noun chunk ("chicken nuggets"), at this less than a name of the
    # same sentence; negative: names only. Off: tuning weeks, 2026-12-02, at 0.1: realtimeqa-dev
    # first sentence -1 question, realtimeqa-2023 first sentence +1 and short-answer EM -1; the
    # chunks of the lead sentence are mostly generic ("agency", "consumers"), and neither
    # MiniLM's likeness to the asked noun nor the archive's term rarity told the answer apart.
    short_answer_chunk_penalty: float = -1.0
    # "Which country/state ...?": a candidate not on the asked noun's list of places
    # (rag/resources/place_kinds.tsv) scores this less ("Riyadh" for a country). Tuning weeks,
    # 2026-12-03: 0.2 changed nothing, 0.5 and 1.5 the same. Ablated on the final code (README):
    # realtimeqa-dev validation first sentence and EM +1 question, tuning weeks unchanged.
    short_answer_unlisted_place_penalty: float = 0.5
    # An open ask whose noun is a kind of common thing ("which sea creature", "which disease") is
    # answered by a noun of that kind (WordNet 3.0's, rag/resources/noun_kinds.tsv) when a cited
    # sentence has one. Tuning weeks, 2026-12-03: realtimeqa-2023 first sentence 0.458 -> 0.490,
    # EM 0.292 -> 0.302; the 262 further tuning questions: EM 0.294 -> 0.305, first +1; realtimeqa-dev
    # unchanged; no answer lost. Validation: realtimeqa-2023 first and EM +1 question, dev unchanged.
    short_answer_common_nouns: bool = True
    # "How many seasons ...?": a number the asked unit follows or ends ("23 seasons", "six
    # centuries", a date or time then counting too) scores this more: 3 claim places of
    # order_weight, "23 seasons" in a later claim over the "seven-time" champion of the lead.
    # Tuning weeks, 2026-12-03 (0.3 / 1.5 / 3 / 10): at 3 realtimeqa-dev first sentence +2,
    # realtimeqa-2023 first +1 and EM +1, the 262 further tuning questions first +4, EM +6; 10 lost
    # one of those. Validation: no score changed (README: the short answer's parts).
    short_answer_unit_weight: float = 3.0
    # The asked noun from the question's dependency parse (rag/nlp/asked.py: "which island nation"
    # asks a nation, "which U.S. state" a state) before the first known word of the asked phrase.
    # Tuning weeks, 2026-12-03: realtimeqa-dev first sentence +1 ("island nation"), realtimeqa-2023
    # EM +1 ("Michigan" for "which U.S. state"), the 262 further tuning questions unchanged. The
    # parse's head as the unit of "how many" too lost two of those ("how many American service
    # members" then counted members in "two service members"): the unit stays the first word.
    short_answer_parsed_head: bool = True
    # A number answers without the approximator spaCy's span includes ("more than 10,000" ->
    # "10,000", "about 8 million"; rag/resources/approximators.txt); the cited sentence after it
    # keeps the hedge. Tuning weeks, 2026-12-03 (third session): the 262 drafted tuning questions
    # EM 84 -> 91 (one lost: "only 4%"), the quizzes' tuning weeks unchanged. Validation:
    # realtimeqa-dev EM +3 (not blind: two of them had been read before the change).
    short_answer_bare_numbers: bool = True
    # The outlet in brackets and the place in capitals that open a report ("(CNN) ...", "DENVER
    # (AP) — ...") are no candidates: they say who filed it and where. Tuning weeks, 2026-12-03
    # (third session): "CNN" had been the short answer of 13 of the 262 drafted tuning questions;
    # without it EM +1, first sentence +1 there, the quizzes' tuning weeks unchanged.
    short_answer_skip_datelines: bool = True
    max_answer_sentences: int = 5
    # The extractive answerer's sentence score and evidence selection (rag/answer/extractive/answerer.py),
    # and one section per rule of rag/answer/rules/ (RULES there is the run order). Nested env
    # names: RAG_SCORING__SEMANTIC_WEIGHT, RAG_RULES__HOLDER__WEIGHT; the flat names of earlier
    # releases (RAG_HOLDER_WEIGHT, holder_weight=...) still work (LEGACY_NAMES).
    scoring: ScoringSettings = Field(default_factory=ScoringSettings)
    selection: SelectionSettings = Field(default_factory=SelectionSettings)
    rules: RulesSettings = Field(default_factory=RulesSettings)
    # Rules switched off by name, comma-separated ("holder,restated"): `rag eval --ablate` runs
    # each off in turn; results.json records the rules that ran.
    rules_off: str = ""
    # "Which outlets reported X?": outlets the ranking did not reach are searched one by one, at
    # most this many (a search each, ~10-30 ms on a 100k-chunk archive).
    outlet_search_max: int = 25
    support_threshold: float = 0.5

    # OpenAI-compatible LLM (only used when answerer=openai or embed_model=openai:...)
    openai_api_key: str = Field(default="", validation_alias=AliasChoices("RAG_OPENAI_API_KEY", "OPENAI_API_KEY"))
    openai_base_url: str = Field(default="", validation_alias=AliasChoices("RAG_OPENAI_BASE_URL", "OPENAI_BASE_URL"))
    llm_model: str = "gpt-4o-mini"
    llm_timeout_s: float = 30.0
    llm_stream: bool = True
    llm_max_tokens: int = 600

    # HTTP API
    host: str = "127.0.0.1"
    port: int = 8000
    api_keys: str = ""
    # Serving on a non-loopback address with no keys is refused unless this is true.
    allow_anonymous: bool = False
    admin_keys: str = ""
    cors_origins: str = ""
    max_question_chars: int = 2000
    max_body_bytes: int = 1_000_000
    max_upload_bytes: int = 20_000_000
    max_top_k: int = 50
    # Chat completions: how sources reach the client. "text": a plain Sources list in the content
    # and OpenAI url_citation annotations (the openai SDK, LangChain, LlamaIndex, most frontends);
    # "events": Open WebUI's `source` events (citation chips with the passage), and neither of the
    # others, which Open WebUI would show a second time.
    chat_sources: Literal["text", "events"] = "text"
    # The address clients reach this service at, for links to a cited document that has no URL of
    # its own (empty: the address the request came to).
    public_url: str = ""

    # Ingestion limits
    max_file_bytes: int = 200_000_000
    max_doc_chars: int = 2_000_000
    # An HTML page larger than this is refused before extraction (about 1.7 s a MB on one core,
    # linear: bench/html_parse.py); it bounds the time one upload can hold a worker.
    max_html_bytes: int = 5_000_000
    # JSON (request bodies, JSON/JSONL files) nested deeper than this is refused with 422 naming
    # the field: the parsers recurse once per level.
    max_json_depth: int = 32
    # `rag ingest` / `rag watch` read regular files only. A symlink is refused unless this is
    # true and it resolves inside the folder (or file) it was found under; never outside the roots.
    follow_symlinks: bool = False

    @field_validator("chunk_overlap")
    @classmethod
    def _overlap_below_size(cls, v: int, info: object) -> int:
        if v < 0:
            raise ValueError("chunk_overlap must be >= 0")
        return v

    @field_validator("rules_off")
    @classmethod
    def _known_rules(cls, v: str) -> str:
        from rag.answer.rules import RULE_NAMES  # the table imports settings types only

        unknown = [n for n in _names(v) if n not in RULE_NAMES]
        if unknown:
            raise ValueError(f"unknown rule(s) {', '.join(unknown)}; known: {', '.join(RULE_NAMES)}")
        return ",".join(_names(v))

    @property
    def rules_off_set(self) -> frozenset[str]:
        return frozenset(_names(self.rules_off))

    def updated(self, **changes: Any) -> Settings:
        """A copy with `changes` applied, flat legacy names ("holder_weight") included: a tuner's
        grid names one value, wherever its section is."""
        data = _nest_legacy(changes)
        update: dict[str, Any] = {}
        for key, value in data.items():
            current = getattr(self, key, None)
            if isinstance(value, dict) and isinstance(current, BaseModel):
                update[key] = _merged(current, value)
            else:
                update[key] = value
        if "rules_off" in update:
            update["rules_off"] = type(self)._known_rules(str(update["rules_off"]))
        return self.model_copy(update=update)

    def value(self, name: str) -> Any:
        """A setting by its flat name ("fact_floor") or its own field name."""
        node: Any = self
        for key in LEGACY_NAMES.get(name, (name,)):
            node = getattr(node, key)
        return node

    @property
    def api_key_set(self) -> frozenset[str]:
        return frozenset(k.strip() for k in self.api_keys.split(",") if k.strip())

    @property
    def admin_key_set(self) -> frozenset[str]:
        return frozenset(k.strip() for k in self.admin_keys.split(",") if k.strip())

    @property
    def is_open_to_anyone(self) -> bool:
        return not (self.api_key_set or self.admin_key_set)

    @property
    def cors_origin_list(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def uses_chroma_server(self) -> bool:
        return bool(self.chroma_host)


def _names(spec: str) -> list[str]:
    return list(dict.fromkeys(n.strip() for n in spec.split(",") if n.strip()))


def _merged(model: BaseModel, changes: dict[str, Any]) -> BaseModel:
    update: dict[str, Any] = {}
    for key, value in changes.items():
        current = getattr(model, key, None)
        update[key] = _merged(current, value) if isinstance(value, dict) and isinstance(current, BaseModel) else value
    return model.model_copy(update=update)
