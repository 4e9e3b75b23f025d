# libpyacq — build, test, demo and benchmark entry points. See README.md.
SHELL := /bin/bash
export PATH := /opt/swift/usr/bin:$(PATH)

PREFIX ?= /usr/local
VERSION := 0.2.0
ABI := 0
LIBDIR := build/lib
LIB := $(LIBDIR)/libpyacq.so.$(VERSION)
# The programs installed next to the library: the command-line tool, the host server and the
# node group process that Hosts spawn.
PROGRAMS := pyacq pyacq-host pyacq-nodegroup
SWIFT_RELEASE := swift build -c release --scratch-path .build-lib
LIB_FLAGS := -Xswiftc -static-stdlib -Xswiftc -use-ld=lld -Xlinker --version-script=$(CURDIR)/scripts/libpyacq.map \
	-Xlinker -soname=libpyacq.so.$(ABI) -Xlinker -z -Xlinker nodelete

.PHONY: all deps lib tool install demo test test-swift test-python test-c test-matlab test-demo fuzz-smoke fuzz soak bench clean

all: lib

deps:
	@scripts/install-deps.sh

# The self-contained shared library: Swift runtime inside, only pyacq_* exported.
lib: deps
	$(SWIFT_RELEASE) --product PyAcqShared $(LIB_FLAGS)
	@mkdir -p $(LIBDIR)
	# Replace the file by a rename: overwriting it in place would crash processes using it.
	cp .build-lib/release/libPyAcqShared.so $(LIB).tmp
	strip --strip-unneeded $(LIB).tmp
	mv -f $(LIB).tmp $(LIB)
	ln -sf libpyacq.so.$(VERSION) $(LIBDIR)/libpyacq.so.$(ABI)
	ln -sf libpyacq.so.$(ABI) $(LIBDIR)/libpyacq.so
	for p in $(PROGRAMS); do $(SWIFT_RELEASE) --product $$p -Xswiftc -static-stdlib || exit 1; done
	@mkdir -p build/bin
	for p in $(PROGRAMS); do install -m 0755 .build-lib/release/$$p build/bin/$$p.tmp && mv -f build/bin/$$p.tmp build/bin/$$p; done
	@echo "built $(LIB) ($$(du -h $(LIB) | cut -f1)) and $(PROGRAMS:%=build/bin/%)"

# The command-line tool and the NodeGroup program it spawns, next to each other in build/bin.
tool: lib

install: lib
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig \
		$(DESTDIR)$(PREFIX)/lib/cmake/pyacq
	install -m 0755 $(LIB) $(DESTDIR)$(PREFIX)/lib/
	install -m 0755 $(PROGRAMS:%=build/bin/%) $(DESTDIR)$(PREFIX)/bin/
	ln -sf libpyacq.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libpyacq.so.$(ABI)
	ln -sf libpyacq.so.$(ABI) $(DESTDIR)$(PREFIX)/lib/libpyacq.so
	install -m 0644 include/pyacq.h $(DESTDIR)$(PREFIX)/include/
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' pkgconfig/pyacq.pc.in \
		> $(DESTDIR)$(PREFIX)/lib/pkgconfig/pyacq.pc
	sed -e 's|@VERSION@|$(VERSION)|g' cmake/pyacqConfigVersion.cmake.in \
		> $(DESTDIR)$(PREFIX)/lib/cmake/pyacq/pyacqConfigVersion.cmake
	install -m 0644 cmake/pyacqConfig.cmake $(DESTDIR)$(PREFIX)/lib/cmake/pyacq/

demo: lib
	build/bin/pyacq demo

test: deps test-swift lib test-python test-c test-matlab test-demo fuzz-smoke

test-swift:
	swift build
	@mkdir -p build
	swift test 2>&1 | tee build/swift-test.log; exit $${PIPESTATUS[0]}

test-python: lib
	python3 -m pytest -q -rs tests/python

test-c: lib
	tests/c/run.sh

test-matlab: lib
	@scripts/install-deps.sh --with-octave
	tests/matlab/run.sh

test-demo: lib
	build/bin/pyacq demo --seconds 1

# libFuzzer over the decoders a peer can reach (Sources/pyacq-fuzz, corpus in fuzz/corpus):
# 20 s in `make test`, FUZZ_SECONDS (default 600) in `make fuzz`, which also merges new corpus.
fuzz-smoke: deps
	scripts/fuzz.sh 20

FUZZ_SECONDS ?= 600
fuzz: deps
	MERGE=1 scripts/fuzz.sh $(FUZZ_SECONDS)

# 3 processes, 16 ch x 30 kHz for SOAK_SECONDS (default 600): every sample verified, RSS flat.
SOAK_SECONDS ?= 600
soak: lib
	LIBPYACQ_PATH=build/lib python3 tests/soak/soak.py --seconds $(SOAK_SECONDS)

# Every figure is printed next to a baseline measured in the same run (see benchmarks/).
bench: lib
	@python3 -c "import pylsl" 2>/dev/null || python3 -m pip install -q --disable-pip-version-check pylsl
	$(SWIFT_RELEASE) --product pyacq-bench
	benchmarks/run.sh
	BENCH_PROGRAM=latency_bench benchmarks/run.sh
	python3 benchmarks/rpc_peer_bench.py .build-lib/release/pyacq-bench 2 | grep '^bench:'
	python3 benchmarks/dsp_bench.py .build-lib/release/pyacq-bench 2
	LIBPYACQ_PATH=build/lib python3 benchmarks/python_bench.py 2 2>/dev/null | grep '^bench'
	@if [ -f benchmarks/graph_bench.py ]; then python3 benchmarks/graph_bench.py; fi
	LIBPYACQ_PATH=build/lib python3 benchmarks/local_graph_bench.py 2 | grep '^bench'
	LIBPYACQ_PATH=build/lib python3 benchmarks/viewers_bench.py 10 2>/dev/null | grep '^bench'
	LIBPYACQ_PATH=build/lib python3 benchmarks/time_bench.py 2>/dev/null | grep '^bench'
	$(SWIFT_RELEASE) --product pyacq-device-bench
	python3 benchmarks/eeg_bench.py
	$(SWIFT_RELEASE) --product pyacq-av-bench
	benchmarks/av_bench.sh .build-lib/release/pyacq-av-bench

clean:
	rm -rf build .build .build-lib
