# Two commands matter: `make run` and `make test`. Both install what they need into .venv.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PORT ?= 5000

.PHONY: install run test worker lint clean drill simulate translations

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: install  ## start Redis (embedded unless REDIS_URL), web and worker, with the demo roster
	PORT=$(PORT) $(VENV)/bin/hotline run

test: install  ## the whole test suite (PostgreSQL too when TEST_DATABASE_URL is set)
	$(PY) -m pytest -n 2 -q

drill: install  ## play a caucus night (1,765 precincts, flood, ceilings) and print verdicts
	$(VENV)/bin/hotline-drill run $(DRILL_ARGS)

simulate: install  ## chairs texting the system that `make run` started (in another terminal)
	$(VENV)/bin/hotline-drill simulate $(SIM_ARGS)

worker: install
	$(PY) -m workers.worker

translations: install  ## after changing a chair-facing text: extract, merge into es, compile (docs/runbook.md)
	$(VENV)/bin/pybabel extract -F babel.cfg -k N_ --no-location --sort-output --project caucus-hotline -o hotline/translations/messages.pot hotline/domain
	$(VENV)/bin/pybabel update -i hotline/translations/messages.pot -d hotline/translations -D messages -l es --no-fuzzy-matching --width 100
	$(VENV)/bin/pybabel compile -d hotline/translations -D messages -l es --statistics

lint: install
	$(PY) -m pip install --quiet ruff && $(VENV)/bin/ruff check hotline workers tests

clean:
	rm -rf $(VENV) instance build *.egg-info
