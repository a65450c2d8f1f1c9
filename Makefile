# Metal Boot — the top-level entry points. Everything runs on a fresh Debian 12 machine as root
# (or with sudo): `make demo` and `make test` install what they need first.
PREFIX ?= /usr/local
DESTDIR ?=
BUILD ?= build
BUILD_ASAN ?= build-asan
BUILD_FUZZ ?= build-fuzz
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
CTEST_FLAGS ?= --output-on-failure
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: man all deps build test test-unit test-asan test-integration e2e demo demo-clean install \
        fuzz bench format format-check completions clean ipxe

all: build

# Installs every Debian package the build, tests and demo need. Idempotent: apt runs only when
# something is missing.
deps:
	@$(SUDO) packaging/install-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

build: $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

# The whole suite (tests/run-suite.sh): unit tests, fuzz replays, integration tests against real
# peers (network namespaces, needs root), the QEMU end-to-end lab, then unit tests and fuzz replays
# again under ASan+UBSan (that build runs in the background, niced, while the lab boots).
test: deps build
	@BUILD=$(BUILD) BUILD_ASAN=$(BUILD_ASAN) ASAN_CXX=$(ASAN_CXX) JOBS=$(JOBS) CTEST_FLAGS="$(CTEST_FLAGS)" \
	  CMAKE_FLAGS="$(CMAKE_FLAGS)" bash tests/run-suite.sh

test-unit: build
	cd $(BUILD) && ctest $(CTEST_FLAGS) -L 'unit|fuzz'

test-integration: build
	cd $(BUILD) && ctest $(CTEST_FLAGS) -L integration

ASAN_CXX ?= clang++
$(BUILD_ASAN)/build.ninja:
	CXX=$(ASAN_CXX) cmake -S . -B $(BUILD_ASAN) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DMB_SANITIZE=ON $(CMAKE_FLAGS)

test-asan: $(BUILD_ASAN)/build.ninja
	cmake -S . -B $(BUILD_ASAN) >/dev/null
	cmake --build $(BUILD_ASAN) -j $(JOBS) --target mb-unit $$(cd $(BUILD_ASAN) && ninja -t targets all | sed -n 's/^\(fuzz_[a-z0-9_]*\): phony$$/\1/p')
	cd $(BUILD_ASAN) && UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ASAN_OPTIONS=detect_leaks=1 \
	  ctest $(CTEST_FLAGS) -L 'unit|fuzz'

e2e: deps build
	cd $(BUILD) && ctest $(CTEST_FLAGS) -L e2e

# libFuzzer builds of every tests/fuzz/fuzz_*.cpp (clang, ASan+UBSan). Run one with e.g.
#   build-fuzz/tests/fuzz_dhcp_packet -max_total_time=60 tests/fuzz/corpus/dhcp_packet
fuzz:
	CXX=clang++ cmake -S . -B $(BUILD_FUZZ) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DMB_FUZZ=ON $(CMAKE_FLAGS)
	cmake --build $(BUILD_FUZZ) -j $(JOBS)

demo: deps build
	@bash demo/run-demo.sh

# iPXE EFI binaries (x86_64 and arm64 snp.efi) with our embedded script, built from Debian's ipxe
# source package with Debian's cross compiler; cached outside the repository.
ipxe: deps
	@bash lab/build-ipxe.sh

demo-clean:
	@bash demo/run-demo.sh --clean

install: build
	DESTDIR=$(DESTDIR) cmake --install $(BUILD) --prefix $(PREFIX)

bench: build
	@bash bench/run-all.sh

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

format-check:
	clang-format --dry-run --Werror $$(git ls-files '*.cpp' '*.hpp')

# Regenerates completions/ from the tools' own CLI definitions.
completions: build
	@for t in $(BUILD)/tools/mb-*; do n=$$(basename $$t); \
	  $$t __complete bash > completions/$$n.bash; $$t __complete zsh > completions/_$$n; done

# Regenerates the key reference in man/mb-config.5 from the schema.
man: build
	/usr/bin/python3 packaging/gen-config-man.py $(BUILD)/tools/$$(ls $(BUILD)/tools | grep '^mb-' | head -1) man/mb-config.5

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_FUZZ)
