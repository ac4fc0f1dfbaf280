# The single entry point: `make run` and `make test` each bring .venv up to date first.
SHELL := /bin/bash
PY := .venv/bin/python
STAMP := .venv/.installed
export RASA_TELEMETRY_ENABLED := false
export PYTHONDONTWRITEBYTECODE := 1
export TF_CPP_MIN_LOG_LEVEL := 2

.PHONY: install system run test ingest bench score clean train eval bench-chat prod prod-stop bench-prod

install: $(STAMP)

# Rasa 3.6 declares Python <3.11: its dependencies come pinned from requirements/lock.txt
# (resolved as for 3.10, matplotlib 3.6 for its cp311 wheel), then rasa and rasa-sdk themselves
# without their metadata check.
$(STAMP): requirements/lock.txt requirements/rasa.txt pyproject.toml
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements/lock.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --ignore-requires-python -r requirements/rasa.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Sample plans are ingested once, into an empty default KB (re-ingesting would add versions).
run: install
	@if [ -z "$$KB_URL" ] && [ -f data/kb.sqlite3 ]; then echo "Cơ sở tri thức đã có dữ liệu (data/kb.sqlite3)."; \
	else $(PY) -m knowledge ingest samples/plans; fi
	$(PY) -m knowledge list
	$(PY) -m knowledge.procedures load samples/procedures.yml
	$(PY) -m knowledge units import samples/units.csv
	$(PY) -m bot.serve

# Chatbot model: trained only when config.yml, bot/ (domain, stories, rules, components) or nlu_data/
# changed; the file is models/bot-<hash of those>.tar.gz and is reused while it exists.
train: install
	$(PY) -m bot.train

# Question answering on tests/data/questions-dev*.yml against the real servers (free loopback
# ports, stopped afterwards), per question file with and without diacritics, then the NLU F1 on the held-out
# paraphrases (tests/data/nlu-paraphrases.yml); `$(PY) -m bot.evaluate --cv` adds 3-fold cross-validation.
eval: install
	$(PY) -m bot.evaluate

# 20 concurrent chat users: knowledge vs greeting latency, server memory, training time.
bench-chat: install
	$(PY) bench/chat.py

# Debian packages the tests drive for real (PostgreSQL, Chromium, Tesseract, LibreOffice, Redis, nginx):
# installed when missing (as root), else named with the command to install them.
system:
	@requirements/debian.sh

test: install system
	$(PY) -m pytest -q tests

# Ingest speed and queries at 1,000 plans; the ranked search at 1,000 plans; progress at 10,000 reports;
# the ingestion queue over 1 and 2 workers.
bench: install system
	$(PY) bench/ingest.py
	$(PY) bench/search.py
	$(PY) bench/reports_aggregate.py
	$(PY) bench/ingest_queue.py

# Extraction scores per plan and rendering against the gold (tests/data), and the metamorphic guard.
score: install
	$(PY) -m pytest -q tests/test_extraction_scores.py tests/test_metamorphic.py

# The production set-up on this machine (bot/prod.py, README "Triển khai thật"): PostgreSQL, Redis,
# two Rasa replicas, the action server (several workers), the web page, nginx on PROD_PORT (8088);
# pids and logs in run/prod/. prod-stop stops everything and keeps the data.
prod: install system
	$(PY) -m bot.prod start

prod-stop:
	$(PY) -m bot.prod stop

# 100 reporters over REST and Telegram through nginx; kill -9 a replica, then the action server.
bench-prod: install system
	$(PY) bench/prod.py

clean:
	rm -rf .venv data out
