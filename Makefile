# Jobfetch: `make run` opens the app on the built-in demo archive; `make test` runs every suite;
# `make package` builds the Debian package and the RPM. Each installs whatever is missing first
# (Debian 12, as root or with sudo).

SHELL := /bin/bash
.DEFAULT_GOAL := run
export PATH := $(HOME)/.cargo/bin:$(PATH)

# CI may keep cargo's build cache outside the fresh clone; it builds each commit once, so cargo's
# incremental caches (gigabytes) would only take disk space.
ifeq ($(CI),true)
  export CARGO_TARGET_DIR ?= $(HOME)/.cache/jobfetch-ci-target
  export CARGO_INCREMENTAL ?= 0
endif
BIN_DIR := $(or $(CARGO_TARGET_DIR),target)/debug
APP := $(BIN_DIR)/jobfetch-app
RELEASE_DIR := $(or $(CARGO_TARGET_DIR),target)/release
# The app's version, which names its packages.
VERSION := $(shell python3 -c 'import json; print(json.load(open("src-tauri/tauri.conf.json"))["version"])')

# Every cargo command here selects the same packages and targets, so they share one feature set
# and one build: nothing is compiled twice.
CARGO_BUILD := cargo build --locked --workspace --all-targets
CARGO_TEST := cargo test --locked --workspace

.PHONY: run test package check-package test-package deps ui build test-rust test-parity test-fits test-astroquery test-up42py test-jdma-client test-ui test-e2e bindings check-bindings clean

## run: install what is missing, build, and open the app on the demo archive
run: build
	scripts/with-keyring.sh $(APP) --demo

## test: install what is missing and run the Rust, UI, Slurm and end-to-end suites
test: build test-rust check-bindings test-parity test-fits test-astroquery test-up42py test-jdma-client test-slurm test-ui test-e2e test-package
	@echo "make test: all suites passed"

## package: the desktop app's Debian package and RPM, built by Tauri's bundler from a release build
## (LTO, one codegen unit: the slow part), then checked; prints where they are
package: ui
	cd src-tauri && nice -n 10 ../ui/node_modules/.bin/tauri build --ci -- --locked
	$(call name-packages,$(RELEASE_DIR)/bundle)
	scripts/check-package.sh $(RELEASE_DIR)/bundle

# The bundler names the files after productName (Jobfetch_…); name them after the package, as
# Debian and RPM do (jobfetch_0.1.0_amd64.deb), and drop its staging folders. $(1): the bundle folder.
define name-packages
	cd $(1) && for f in deb/Jobfetch_*.deb rpm/Jobfetch-*.rpm; do \
		if [ -e "$$f" ]; then mv -f "$$f" "$$(dirname "$$f")/j$${f#*/J}"; fi; done; \
		for d in deb rpm; do [ ! -d $$d ] || find $$d -mindepth 1 -maxdepth 1 -type d -exec rm -rf {} +; done
endef

## test-package: the Debian package of the debug app `make build` made (Tauri's bundler, no second
## build), checked, then installed with apt into a clean Debian 12 chroot, validated there, started
## from its desktop entry on the demo under Xvfb, photographed (target/e2e/package-install.png) and
## closed (scripts/test-package.sh). The release package is `make package`'s. In a clean Ubuntu 24.04
## root instead: JOBFETCH_PACKAGE_SUITE=noble make test-package.
test-package: build
	@echo "==> tauri bundle --debug: the .deb of $(APP)"
	@rm -rf $(BIN_DIR)/bundle/deb && mkdir -p $(BIN_DIR)/bundle
	@cd src-tauri && ../ui/node_modules/.bin/tauri bundle --debug --ci --bundles deb >$(abspath $(BIN_DIR))/bundle/bundle.log 2>&1 \
		|| { cat $(abspath $(BIN_DIR))/bundle/bundle.log; echo "make test-package: Tauri's bundler failed (see above)"; exit 1; }
	@$(call name-packages,$(BIN_DIR)/bundle)
	@echo "==> scripts/check-package.sh --debug-build $(BIN_DIR)/bundle"
	@scripts/check-package.sh --debug-build $(BIN_DIR)/bundle >$(BIN_DIR)/bundle/check-package.log 2>&1 \
		|| { cat $(BIN_DIR)/bundle/check-package.log; exit 1; }
	@tail -n 3 $(BIN_DIR)/bundle/check-package.log
	scripts/test-package.sh $(BIN_DIR)/bundle/deb/jobfetch_$(VERSION)_amd64.deb

## check-package: check the packages `make package` left, without building them again
check-package:
	scripts/check-package.sh $(RELEASE_DIR)/bundle

## deps: system packages, tauri-driver, and the UI's npm packages
deps:
	scripts/install-deps.sh
	@if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then \
		echo "==> npm ci (ui)"; cd ui && npm ci --no-audit --no-fund; fi

## ui: the built UI (ui/dist), built again only when its sources changed: an unchanged ui/dist lets cargo
## skip the app, so `make run` with nothing changed starts without compiling
UI_SOURCES := $(shell find ui/src ui/index.html ui/package-lock.json ui/svelte.config.js ui/vite.config.ts ui/tsconfig.json -type f -not -name '*.test.ts' 2>/dev/null)
ui: deps ui/dist/index.html

ui/dist/index.html: $(UI_SOURCES)
	cd ui && npm run build
	@touch $@

## build: the UI, the app, the CLI and the simulator
build: ui
	@scripts/check-disk.sh $(or $(CARGO_TARGET_DIR),target)
	$(CARGO_BUILD)

test-rust: build
	scripts/with-keyring.sh $(CARGO_TEST)

## test-fits: `jobfetch thumb` on FITS files astropy and CFITSIO wrote, each thumbnail compared with astropy's rendering
test-fits: build
	tests/fits_interop/run.sh $(BIN_DIR)/jobfetch

## test-parity: `jobfetch get` against the seed script, on the simulator and on nginx
test-parity: build
	python3 tests/parity/run.py $(BIN_DIR)/jobfetch $(BIN_DIR)/jobfetch-sim

## test-astroquery: the real astroquery MAST client (PyPI, pinned in scripts/install-deps.sh) against the
## simulator's MAST: query, product list, filters, direct and curl-script downloads, token sign-in
test-astroquery: build
	python3 tests/astroquery/run.py $(BIN_DIR)/jobfetch-sim

## test-up42py: the real up42-py client (0.37.2 from PyPI, the last with the seed API; pinned in
## scripts/install-deps.sh) against the simulator's UP42: project and account sign-in, job pages,
## tasks, results unpacked, quicklooks, logs, signed URLs, a job ending and a token expiring
test-up42py: build
	python3 tests/up42py/run.py $(BIN_DIR)/jobfetch-sim

## test-jdma-client: the real JDMA client (jdma_client 1.0.1, not on PyPI: vendored in tests/jdma_client/vendor,
## unchanged) against the simulator's JDMA: users, storage, PUT followed to completion, batches, files with
## ADLER32 digests, archives, relabel, GETs followed to completion and checked byte for byte, refused GETs, DELETE
test-jdma-client: build
	python3 tests/jdma_client/run.py $(BIN_DIR)/jobfetch-sim

## test-slurm: a real single-node Slurm cluster (Debian's slurm-wlm and munge, installed if missing),
## configured and started in a temporary folder and torn down after: `jobfetch slurm submit` of a 4-shard
## plan of the simulator's 2,000-file job, one array task cancelled with scancel and the job submitted
## again; every file arrives once and `jobfetch slurm status` shows every shard done (tests/slurm/run.py)
.PHONY: test-slurm
test-slurm: build
	scripts/install-deps.sh slurm-wlm munge
	python3 tests/slurm/run.py $(BIN_DIR)/jobfetch $(BIN_DIR)/jobfetch-sim

## bench: `jobfetch get` side by side with the seed script, aria2c, curl and rclone on the simulator
## (2,000 files, a 2 GiB file, a resume; and at scale, through a latency proxy of 40 ms per round trip:
## 2,000 and 20,000 files with jobfetch's adaptive defaults, and a host refusing more than 8 at once),
## `jobfetch thumb` side by side with Pillow and astropy, and the desktop app against its targets (release
## builds; the download contenders come from Debian's packages, the Python ones from pip or Debian).
## Prints the tables, writes target/bench/latest.md.
.PHONY: bench bench-app
bench: package
	scripts/install-deps.sh aria2 rclone curl time
	cargo build --locked --release -p jobfetch-cli -p jobfetch-sim
	scripts/with-keyring.sh python3 bench/run.py $(RELEASE_DIR)/jobfetch $(RELEASE_DIR)/jobfetch-sim \
		--app $(RELEASE_DIR)/jobfetch-app --deb $(RELEASE_DIR)/bundle/deb/jobfetch_$(VERSION)_amd64.deb

## bench-app: only the desktop app (the release build and .deb `make package` makes) on its demo under
## Xvfb: .deb size, start to the window and to the jobs list, memory (PSS of the app and its WebKit
## processes) and CPU while idle, each with its target. Prints them, writes target/bench/app.md.
bench-app: package
	scripts/with-keyring.sh python3 bench/app.py $(RELEASE_DIR)/jobfetch-app $(RELEASE_DIR)/bundle/deb/jobfetch_$(VERSION)_amd64.deb

## bindings: regenerate the UI's TypeScript types from the Rust ones
bindings:
	$(CARGO_TEST) export_bindings

check-bindings: bindings
	@git diff --exit-code --stat -- ui/src/lib/bindings || { echo "ui/src/lib/bindings is stale: run 'make bindings' and commit"; exit 1; }
	@untracked=$$(git ls-files --others --exclude-standard -- ui/src/lib/bindings); \
		if [ -n "$$untracked" ]; then echo "new bindings not committed: $$untracked"; exit 1; fi

test-ui: deps
	cd ui && npm run check && npm test

test-e2e: build
	mkdir -p target/e2e
	JOBFETCH_APP=$(abspath $(APP)) scripts/with-keyring.sh xvfb-run -a -s "-screen 0 1280x900x24" node tests/e2e/app.test.mjs
	JOBFETCH_APP=$(abspath $(APP)) scripts/with-keyring.sh xvfb-run -a -s "-screen 0 1280x900x24" node tests/e2e/demo_exit.test.mjs
	JOBFETCH_APP=$(abspath $(APP)) scripts/with-keyring.sh xvfb-run -a -s "-screen 0 1280x900x24" node tests/e2e/desktop.test.mjs

clean:
	cargo clean
	rm -rf ui/dist ui/node_modules
