# The two contract commands: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PORT ?= 8000
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
MANAGE := $(UV) run --frozen python manage.py
export ZLV_DEMO ?= 1

.PHONY: install chromium run demo-data test test-external quality bench-import clean

install:  ## uv (bootstrapped with pip if missing) and every Python dependency, from uv.lock
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --frozen --quiet

chromium:  ## Debian's chromium for the browser tests (playwright cannot download one here)
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installation de chromium (Debian)…"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "AVERTISSEMENT : chromium n'a pas pu être installé."; }

demo-data: install  ## set-up half of `make run`: migrate, geography, demo territory and accounts (idempotent)
	$(MANAGE) migrate --no-input
	$(MANAGE) load_geography
	$(MANAGE) setup_demo
	$(MANAGE) flip_sent_campaigns

run: demo-data  ## serve the demo on http://127.0.0.1:$(PORT) with its task worker
	$(MANAGE) collectstatic --no-input --verbosity 0
	@echo ""
	@echo "  Zéro Logement Vacant : http://127.0.0.1:$(PORT)/"
	@echo "  Comptes de démonstration (mot de passe : $${DEMO_PASSWORD:-demo-zlv-2026!}) :"
	@echo "    admin@demo.test   administrateur de l'EPCI de démonstration"
	@echo "    agent@demo.test   utilisateur"
	@echo "    lecteur@demo.test visiteur (lecture seule)"
	@echo "    autre@demo.test   utilisateur d'une autre structure"
	@echo ""
	@echo "  Ctrl-C arrête le service et son PostgreSQL intégré."
	@echo ""
	$(UV) run --frozen python scripts/run_service.py --port $(PORT)

test: install chromium  ## the whole suite, on the embedded PostgreSQL unless DATABASE_URL is set
	ZLV_DEMO=0 $(UV) run --frozen pytest

test-external:  ## the database-level suite again on the machine's PostgreSQL service
	ZLV_DEMO=0 DATABASE_URL=$${EXTERNAL_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/zlv_ci} \
	  $(UV) run --frozen pytest --ignore=tests/browser

quality: install
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen ruff check .
	$(UV) run --frozen djlint --check zlv
	$(MANAGE) makemigrations --check --dry-run

bench-import: install
	$(UV) run --frozen python bench/import_lovac.py --rows $${ROWS:-100000}

clean:
	rm -rf var/static .pytest_cache
