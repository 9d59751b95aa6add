# The two commands of the README: `make example` and `make test`.
# Both set up a fresh machine first (scripts/setup.sh is idempotent).
VENV := .venv/bin

.PHONY: setup example test lint bench

setup:
	./scripts/setup.sh

example: setup
	$(VENV)/fs-cwl-run jobs/example/cohort.yml

# Fast suite first, then the heavy end-to-end runs (marked e2e) as a second step.
test: setup
	$(VENV)/ruff check .
	$(VENV)/mypy
	$(VENV)/hadolint docker/Dockerfile
	$(VENV)/pytest -m "not e2e"
	$(VENV)/pytest -m e2e

bench: setup
	$(VENV)/python bench/stage_overhead.py
