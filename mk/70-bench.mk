# Benchmarks print figures; they are not part of `make test` (shared machines are noisy).
#   make bench                          netfilter_facts vs setup and ping, on-host and through AnsiballZ
#   make bench BENCH_BASELINE=<git rev>  also the AnsiballZ payload of that revision, in the same rounds
.PHONY: bench
bench: setup $(COLL_LINK)
	$(BIN)/python tools/bench/bench_gather.py --runs 9 $(if $(BENCH_BASELINE),--baseline $(BENCH_BASELINE))

# The report step for 1 000 and 10 000 synthetic hosts: time and peak memory per format.
.PHONY: bench-report
bench-report: setup $(COLL_LINK)
	$(BIN)/python tools/bench/bench_report.py --hosts 1000,10000 --runs 3

# audit_offline.yml on TREES captured trees: batched module runs against one run per tree, same rounds.
TREES ?= 200
.PHONY: bench-offline
bench-offline: setup $(COLL_LINK)
	$(BIN)/python tools/bench/bench_offline.py --trees $(TREES) --rounds 3 --write-doc
