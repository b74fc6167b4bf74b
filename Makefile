# Every target runs a script in scripts/; see docs/dev-services.md.

.PHONY: all
all: build

.PHONY: run
run:
	scripts/run.sh

.PHONY: test
test:
	scripts/test.sh

.PHONY: bench
bench:
	scripts/bench.sh

.PHONY: build
build:
	scripts/build.sh

.PHONY: generate
generate:
	scripts/generate.sh

# clean removes build output and clusters left behind by interrupted test
# runs; it keeps the development database in .data/pg.
.PHONY: clean
clean:
	rm -rf bin static/vendor
	for d in .data/test-pg-*; do \
		if [ -e "$$d" ] || [ -L "$$d" ]; then scripts/pg.sh destroy "$$d"; fi; \
	done
