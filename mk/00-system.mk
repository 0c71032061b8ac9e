# Debian packages the tests need (CI runs as root on a fresh Debian 12).
# Each area lists what it needs in SYSTEM_PACKAGES; one apt run installs them all.
SYSTEM_PACKAGES := iproute2 procps kmod conntrack iptables
SYSTEM_STAMP := $(CURDIR)/.build/system-packages.stamp

.PHONY: system-deps
system-deps: $(SYSTEM_STAMP)
$(SYSTEM_STAMP): $(MAKEFILE_LIST)
	@mkdir -p $(dir $@)
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages: $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi
	@touch $@
