# Two commands do all the set-up: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed

.PHONY: run test install models index clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	# CPU build of torch first, pinned: an unpinned torch pulls a multi-GB CUDA build.
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e '.[test]'
	touch $(STAMP)

# The packaged models exported to ONNX (fp32 and int8), once: builds and queries run them
# without torch (data/models, or SCRUTINY_MODELS). Returns at once when already there.
models: $(STAMP)
	$(PY) -m indexer.onnx_export

install: $(STAMP) models

run: $(STAMP) models
	$(VENV)/bin/scrutiny index
	$(VENV)/bin/scrutiny serve

index: $(STAMP) models
	$(VENV)/bin/scrutiny index

test: $(STAMP) models
	bash scripts/browser-deps.sh
	$(PY) -m pytest -q

clean:
	rm -rf $(VENV) data
