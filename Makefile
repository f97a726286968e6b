# Two commands for a fresh Debian machine with Python 3.11: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
QUARTER ?= 2022Q2
# Debian packages the suite needs: LibreOffice recalculates and renders, Gnumeric (ssconvert) recalculates as a
# second engine, pdftoppm rasterises, Noto CJK draws Chinese, Carlito (metric-compatible with Calibri) gives
# printouts the widths Excel gives them, python3-uno lets the tests edit workbooks inside LibreOffice (from the
# system Python, /usr/bin/python3).
SYSTEM_PACKAGES := libreoffice-calc-nogui gnumeric poppler-utils fonts-noto-cjk fonts-crosextra-carlito python3-uno

.PHONY: run test system-deps bench bytecode clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

# The package's compiled bytecode, as pip writes it for an ordinary install (an editable one skips it), so a
# fresh process does not compile kwai_xl again where PYTHONDONTWRITEBYTECODE is set; only changed files recompile.
bytecode: $(STAMP)
	$(BIN)/python -m compileall -q kwai_xl udfs.py

run: $(STAMP) bytecode
	$(BIN)/kwai-xl build --quarter $(QUARTER)

system-deps:
	@if ! command -v soffice >/dev/null || ! command -v ssconvert >/dev/null || ! command -v pdftoppm >/dev/null || \
		! fc-list | grep -qi "noto sans cjk" || ! fc-list | grep -qi carlito || \
		! /usr/bin/python3 -c "import uno" 2>/dev/null; then \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $(SYSTEM_PACKAGES); \
	fi

test: $(STAMP) system-deps bytecode
	$(BIN)/ruff check kwai_xl udfs.py tests bench
	$(BIN)/python -m pytest

bench: $(STAMP) system-deps bytecode
	$(BIN)/python bench/run.py
	$(BIN)/python bench/hostile.py

clean:
	rm -rf workbooks/*.xlsx .pytest_cache build *.egg-info
