# ehbot: `make run` starts the assistant with its demo data; `make test` runs every test.
SHELL := /bin/bash
VENV  ?= .venv
PY    := $(VENV)/bin/python
EHBOT := $(VENV)/bin/ehbot
STAMP := $(VENV)/.installed

.PHONY: setup browser nlp run test test-fast packs-check readme demo bench screenshot clean

setup: $(STAMP) browser

# Headless Chromium (Debian's package) draws the timeliness page for its test and the
# README's picture; without it those are skipped, so a failed install stops nothing.
browser:
	@scripts/install-browser || true

# The venv is rebuilt when the dependencies or their pins change.
$(STAMP): pyproject.toml constraints.txt
	@PY310=$$(scripts/find-python310) || exit 1; \
	  [ -x $(PY) ] || $$PY310 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip==26.3"
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

var/.migrated: $(STAMP) $(wildcard bot/db/migrations/versions/*.py)
	@mkdir -p var
	$(EHBOT) db upgrade
	@touch $@

demo: var/.migrated
	$(EHBOT) demo load
	$(EHBOT) demo history

run: demo nlp
	$(EHBOT) run

# The spaCy pipeline Rasa loads (blank English + the project's entity patterns).
nlp: build/spacy-ehbot/meta.json
build/spacy-ehbot/meta.json: nlp/patterns.jsonl nlp/build_pipeline.py $(STAMP)
	$(PY) nlp/build_pipeline.py

test: setup
	$(PY) -m pytest

test-fast: $(STAMP)
	$(PY) -m pytest -m "not slow"

packs-check: $(STAMP)
	$(PY) -m bot.guidance.check

readme: $(STAMP)
	$(PY) scripts/update_readme_coverage.py

bench: $(STAMP)
	$(PY) benchmarks/run_all.py

# The README's picture of the timeliness page, drawn from the demo data on a fixed day.
screenshot: $(STAMP)
	@rm -rf build/screenshot && mkdir -p build/screenshot
	export EHBOT_DATABASE_URL=sqlite:///$(CURDIR)/build/screenshot/demo.sqlite3 EHBOT_TODAY=2026-12-07; \
	  $(EHBOT) db upgrade && $(EHBOT) demo load && $(EHBOT) demo history && \
	  $(EHBOT) report timeliness --format png --out docs/timeliness.png

clean:
	rm -rf $(VENV) var models .pytest_cache
