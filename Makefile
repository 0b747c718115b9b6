# Komitmen: `make up` runs the whole thing on embedded defaults, `make test` tests it.
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3

.PHONY: up test crash bench lint chromium libreoffice axe clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

up: $(BIN)/.installed
	$(BIN)/komitmen up

test: $(BIN)/.installed lint chromium libreoffice axe
	$(BIN)/pytest

# The long scenarios (tests marked slow): the worker SIGKILLed a dozen times through a
# whole compressed cycle (about three minutes) and a mail server outage (two and a half).
crash: $(BIN)/.installed
	$(BIN)/pytest -m slow -s tests/test_worker_crash.py tests/workflows/test_mail_outage.py

# Benchmarks of issue 5 (bench/): minutes each; rewrites the README's table of results.
bench: $(BIN)/.installed
	$(BIN)/python -m bench

# The page tests drive Debian's Chromium through Playwright, which never downloads a browser here.
chromium:
	@command -v chromium >/dev/null || { export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -q chromium >/dev/null || { apt-get update -q && apt-get install -y -q chromium; }; }

# The province recap's XLSX is printed to PDF by Debian's LibreOffice (Calc, no GUI) and read
# back with poppler (pdftotext, pdfinfo, pdftoppm) in the tests.
libreoffice:
	@{ command -v soffice && command -v pdftotext; } >/dev/null || { export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -q --no-install-recommends libreoffice-calc-nogui poppler-utils >/dev/null || \
	  { apt-get update -q && apt-get install -y -q --no-install-recommends libreoffice-calc-nogui poppler-utils; }; }

# axe-core from the npm registry, injected by the page tests to check accessibility.
AXE := tests/pages/axe/node_modules/axe-core/axe.min.js
axe: $(AXE)
$(AXE): tests/pages/axe/package.json tests/pages/axe/package-lock.json
	cd tests/pages/axe && npm ci --no-audit --no-fund --loglevel=error
	touch $@

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/mypy .

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
