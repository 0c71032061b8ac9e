# Fleet scale: N test hosts as network namespaces with their own sshd
# (tools/fleet/fleet), the fleet test, and the benchmark against the manual way.
#   make test-fleet    start 4 hosts, audit them, inject a fault, tear down (~1 min)
#   make bench-fleet   time audit.yml, the naive and the setup-first playbooks on
#                      10, 50 and 200 hosts; rewrites docs/performance.md (25-50 min)
#   make bench-floor  ping, netfilter_facts and audit.yml on the same HOSTS (default 50)
#                      hosts, 3 interleaved rounds; prints module/ping, audit/ping;
#                      rewrites its block of docs/performance.md (issue 15)
#                      FLOOR_BASELINE=<git rev>: also that revision's audit.yml in the
#                      same rounds (git worktree add under .build/bench-floor)
#   make fleet-stop    remove any fleet left by an interrupted run
#   make ee-context    build context for the execution environment (.build/ee/context)
SYSTEM_PACKAGES += openssh-server openssh-client python3 iproute2 iptables conntrack util-linux hostname

.PHONY: test-fleet bench-fleet bench-floor fleet-stop ee-context
TEST_TARGETS += test-fleet

test-fleet: setup system-deps
	$(BIN)/pytest -q tests/fleet

bench-fleet: setup system-deps
	$(BIN)/python tools/fleet/bench.py --write-docs

HOSTS ?= 50
FLOOR_BASELINE ?=
bench-floor: setup system-deps
	$(BIN)/python tools/fleet/floor.py --hosts $(HOSTS) --write-docs $(if $(FLOOR_BASELINE),--baseline $(FLOOR_BASELINE))

fleet-stop:
	$(BIN)/python tools/fleet/fleet.py stop
	$(BIN)/python tools/fleet/fleet.py --run-dir $(CURDIR)/.build/bench-fleet stop
	$(BIN)/python tools/fleet/fleet.py --run-dir $(CURDIR)/.build/bench-floor/fleet stop

# ansible-builder build needs podman or docker; this makes everything up to it.
ee-context: setup
	rm -rf $(CURDIR)/.build/ee && mkdir -p $(CURDIR)/.build/ee
	$(BIN)/ansible-galaxy collection build --force --output-path $(CURDIR)/.build/ee $(CURDIR)
	cp $(CURDIR)/.build/ee/nfdoctor-netfilter-*.tar.gz $(CURDIR)/.build/ee/nfdoctor-netfilter.tar.gz
	$(BIN)/ansible-builder create -f execution-environment.yml --context $(CURDIR)/.build/ee/context \
	    --output-filename Containerfile
