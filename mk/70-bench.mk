# Benchmarks print figures; they are not part of `make test` (shared machines are noisy).
.PHONY: bench
bench: setup $(COLL_LINK)
	$(BIN)/python tools/bench/bench_gather.py --runs 9
