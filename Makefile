# The two set-up commands of the README, and the benchmarks.
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python

.PHONY: local test bench

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

local: $(VENV)/.installed        ## the whole local stack (moto, the embedded search store, the API, the event pump); GZ_FRESH=1 starts empty
	$(PY) -m infra.local_stack $(ARGS)

test: $(VENV)/.installed         ## the test suite
	$(PY) -m pytest -q

bench: $(VENV)/.installed        ## every benchmark; each prints its figures beside the goal
	@status=0; for b in $$(grep -l '__main__' tests/benchmarks/*.py); do echo "== $$b"; $(PY) $$b || status=1; done; exit $$status
