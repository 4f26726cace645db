# `make demo` and `make test` create the virtual environment on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Material for MkDocs prints a banner about its successor on every build.
export NO_MKDOCS_2_WARNING := 1

.PHONY: venv demo test lint typecheck unit docs dist clean redis-server

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,docs]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/influenceplanner demo

lint: $(STAMP)
	$(BIN)/ruff check influenceplanner_async tests benchmarks examples
	$(BIN)/ruff format --check influenceplanner_async tests benchmarks examples

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest tests/unit

# Build the documentation site into site/; a warning fails the build.
docs: $(STAMP)
	$(BIN)/mkdocs build --strict --quiet

# Build the sdist and the wheel into dist/.
dist: $(STAMP)
	$(BIN)/python -m build --outdir dist .

# The Redis limiter's tests start their own redis-server. Install the Debian
# package when it is missing and this is root; otherwise those tests skip and
# print why.
redis-server:
	@if command -v redis-server >/dev/null 2>&1; then \
		:; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing redis-server for the Redis limiter tests"; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq redis-server >/dev/null; } \
			|| echo "Installing redis-server failed; the Redis tests will skip"; \
	else \
		echo "redis-server is missing and only root can install it with apt-get;" \
			"the Redis tests will skip"; \
	fi

test: $(STAMP) redis-server lint typecheck docs
	$(BIN)/pytest

clean:
	rm -rf $(VENV) build dist site *.egg-info .pytest_cache .mypy_cache .ruff_cache
