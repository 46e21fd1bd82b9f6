# kenshin-kit (kk) — make targets. `make demo` and `make test` are all a fresh machine needs.
CARGO ?= cargo
PREFIX ?= $(HOME)/.local
DEMO ?= out/demo
BENCH_PERSONS ?= 1000000

.PHONY: all build deps install demo test lint bench fixtures clean

all: build

build:
	$(CARGO) build --release

# The tools in PREFIX/bin (stripped: the line tables stay in the development build, for
# profiling), the workflow scripts in PREFIX/share/kenshin-kit/scripts, man pages and
# bash/zsh completions (generated from the tools' definitions) under PREFIX/share.
install: build
	mkdir -p $(PREFIX)/bin $(PREFIX)/share/kenshin-kit/scripts
	# the tools are listed once, in src/cmd/mod.rs (TOOLS); kk-docgen prints them
	for b in $$(target/release/kk-docgen --list); do install -s -m 0755 target/release/$$b $(PREFIX)/bin/; done
	install -m 0755 scripts/monthly.sh scripts/annual.sh $(PREFIX)/share/kenshin-kit/scripts/
	install -m 0644 scripts/lib.sh $(PREFIX)/share/kenshin-kit/scripts/
	target/release/kk-docgen --out $(PREFIX)/share

# The commands and the font the tests and the demo use (iconv, unzip, age, poppler-utils, the
# invoices' font, xmllint …): missing Debian packages are installed (root or sudo), or the one
# apt-get line to type is printed. The list is in scripts/deps.sh, which .ci/run uses too.
deps:
	bash scripts/deps.sh

# The monthly and annual workflows on the bundled demo month (fixtures/demo), results in $(DEMO)/.
demo: deps build
	bash scripts/demo.sh target/release $(DEMO)

# KK_BLESS=1 make test rewrites the golden cases' expectations (tests/cases); review the diff
test: deps
	$(CARGO) test --all-targets --no-fail-fast

lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings

# kk-import, kk-limitcheck and kk-unexamined list against iconv, kk-anonymize against sha256sum,
# kk-backup against zip + age, on generated CP932 data (1,000,000 persons; docs/benchmarks.md),
# then the criterion benches.
bench: deps build
	bash scripts/bench.sh target/release $(BENCH_PERSONS)
	$(CARGO) bench --bench import

# Regenerates the demo month (a test checks it is what the generator makes).
fixtures: build
	rm -rf fixtures/demo
	target/release/kk-gen --persons 300 --seed 1 --month 202604 --out fixtures/demo --xml

clean:
	$(CARGO) clean
	rm -rf out
