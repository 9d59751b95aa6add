# The two commands of the README: `make example` and `make test`.
# Both set up a fresh machine first (scripts/setup.sh is idempotent).
VENV := .venv/bin

# The shell scripts (*.sh, and those with a sh or bash shebang) and the YAML files (the
# CWL files are YAML too); tests/test_lint.py checks that these lists miss none.
SHELL_SCRIPTS := $(wildcard scripts/*.sh docker/*.sh docker/scripts/*.sh cwl/tools/*.sh) \
	docker/rootful-podman/podman .ci/run
YAML_FILES := $(wildcard .*.yaml jobs/*/*.yml cwl/*/*.cwl cwl/*/*.yml cwl/tools/tests/*.yml)

.PHONY: setup example lint test bench

setup:
	./scripts/setup.sh

# Without a license: the example's dry run, how to get the license, and exit 2.
example: setup
	VENV=$(VENV) ./scripts/example.sh

# The checks .pre-commit-config.yaml runs on each commit, on every file.
lint: setup
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .
	$(VENV)/mypy
	$(VENV)/shellcheck $(SHELL_SCRIPTS)
	$(VENV)/codespell
	$(VENV)/check-yaml $(YAML_FILES)
	$(VENV)/hadolint docker/Dockerfile

# The checks, the fast suite, then the heavy end-to-end runs (marked e2e) as a last step.
# The fast suite runs in 2 pytest-xdist workers, one per core of the CI machine: its tests
# start processes of their own (the runner, cwltool, S3 servers), so more workers than cores
# only contend, and `-n auto` would follow the machine rather than what was measured.
# worksteal: each worker starts on a run of consecutive tests (a module's fixtures are made
# once per worker), and one left idle takes over tests the other has not reached. The e2e
# step stays serial: each of its tests runs servers and Toil that keep all cores busy.
TEST_WORKERS ?= 2
test: lint
	$(VENV)/pytest -m "not e2e" -n $(TEST_WORKERS) --dist worksteal
	$(VENV)/pytest -m e2e

bench: setup
	$(VENV)/python bench/stage_overhead.py
