# The two commands of the README: `make run` and `make test`. Both install what is missing first.
PRESET     ?= release
BUILD_DIR  := build/$(PRESET)
JOBS       ?= $(shell nproc)
MODELS_DIR ?= $(if $(WB_MODELS_DIR),$(WB_MODELS_DIR),$(wildcard ../shared/models))

.PHONY: all deps deps-fuzz configure build run test package screenshot clean fuzz sanitize

all: build

deps:
	@scripts/install-deps.sh

# What `make fuzz` and `make sanitize` need on top: clang-14, libFuzzer and its sanitizer runtimes, llvm-symbolizer.
deps-fuzz:
	@scripts/install-deps.sh --fuzz

configure: deps
	@cmake --preset $(PRESET) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# Starts the desktop app. Without a display it says how to get one instead of aborting.
run: build
	@if [ -z "$$DISPLAY" ] && [ -z "$$WAYLAND_DISPLAY" ] && [ -z "$$QT_QPA_PLATFORM" ]; then \
	  echo "No display found: running under xvfb-run (set DISPLAY to see the window)."; \
	  exec xvfb-run -a -s "-screen 0 1600x1000x24" $(BUILD_DIR)/app/inference-workbench $(ARGS); \
	else \
	  exec $(BUILD_DIR)/app/inference-workbench $(ARGS); \
	fi

test: build
	@cd $(BUILD_DIR) && QT_QPA_PLATFORM=offscreen WB_MODELS_DIR="$(abspath $(MODELS_DIR))" \
	  ctest --output-on-failure --no-tests=error -j $(JOBS) $(CTEST_ARGS)

# libFuzzer harnesses (clang-14, ASan+UBSan) for FUZZ_SECONDS each; fails on any finding. docs/fuzzing.md
FUZZ_SECONDS ?= 60
fuzz: deps-fuzz
	@WB_MODELS_DIR="$(abspath $(MODELS_DIR))" JOBS=$(JOBS) scripts/run-fuzzers.sh $(FUZZ_SECONDS)

# Every test of a build without the GUI (engine, kernels, iwb, simulator; not the packaging file checks)
# under ASan+UBSan (build/asan, GCC), then the threading tests under TSan (build/tsan). docs/fuzzing.md
SANITIZE_GUI ?= OFF
sanitize: deps-fuzz
	@cmake --preset asan -DWB_BUILD_GUI=$(SANITIZE_GUI) >/dev/null
	@cmake --build build/asan -j $(JOBS)
	@cd build/asan && QT_QPA_PLATFORM=offscreen WB_MODELS_DIR="$(abspath $(MODELS_DIR))" \
	  ctest --output-on-failure --no-tests=error -j $(JOBS) -LE packaging $(CTEST_ARGS)
	@cmake --preset tsan -DWB_BUILD_GUI=OFF >/dev/null
	@cmake --build build/tsan -j $(JOBS) --target test_generation_session test_load test_telemetry_recorder
	@cd build/tsan && QT_QPA_PLATFORM=offscreen WB_MODELS_DIR="$(abspath $(MODELS_DIR))" \
	  TSAN_OPTIONS="suppressions=$(abspath tests/robustness/tsan.supp)" \
	  ctest --output-on-failure --no-tests=error -j $(JOBS) -L threading -E test_cli $(CTEST_ARGS)

package: build
	@cd $(BUILD_DIR) && cpack -G DEB
	@ls -1 $(BUILD_DIR)/*.deb

screenshot: build
	@scripts/make-screenshot.sh $(BUILD_DIR)

clean:
	rm -rf build
