# Real-VM tests: Molecule boots Debian 12 and Debian 13 under qemu (TCG),
# reproduces the incidents, remediates, reboots and verifies (molecule/default);
# then two Debian 13 VMs for the findings only a running kernel shows and clears
# (molecule/runtime: conntrack table size, bridge-nf-call, a link's forwarding, networkd
# on container veths on a Kubernetes node; bridged guests behind FORWARD DROP on a hypervisor).
# Images are built once with mmdebstrap and cached in
# $${XDG_CACHE_HOME:-$$HOME/.cache}/nfdoctor/vm-images (see docs/testing-vms.md).
SYSTEM_PACKAGES += qemu-system-x86 qemu-utils mmdebstrap e2fsprogs openssh-client
TEST_TARGETS += test-vm

VM_PLATFORMS ?= debian12 debian13
MOLECULE     := $(BIN)/molecule

.PHONY: vm-images test-vm test-vm-default test-vm-runtime test-vm-infra test-vm-unit
# The image builder's own logic (cache key, qemu/mmdebstrap arguments).
test-vm-unit: setup system-deps
	$(BIN)/pytest -q tests/unit/tools/test_vm_image.py tests/unit/tools/test_vm_boot.py

# Builds only what is missing from the cache; a second run takes a second.
vm-images: system-deps
	tools/vm/build-image $(VM_PLATFORMS)

# Molecule's full sequence for both VMs at once: destroy, create, prepare,
# side_effect (audit finds the faults), check, converge, idempotence, verify
# (incl. reboot and final audit), destroy.
# The scenarios run one after the other (two cores, TCG), even under make -j.
test-vm: setup system-deps test-vm-unit vm-images
	cd $(CURDIR) && time $(MOLECULE) test --scenario-name default
	cd $(CURDIR) && time $(MOLECULE) test --scenario-name runtime

test-vm-default: setup system-deps test-vm-unit vm-images
	cd $(CURDIR) && time $(MOLECULE) test --scenario-name default

test-vm-runtime: setup system-deps test-vm-unit vm-images
	cd $(CURDIR) && time $(MOLECULE) test --scenario-name runtime

# Only the infrastructure and the fault injection with its self-checks
# (create, prepare, destroy): quick feedback when changing tools/vm or prepare.yml.
test-vm-infra: setup system-deps test-vm-unit vm-images
	cd $(CURDIR) && $(MOLECULE) destroy --scenario-name default && \
	  { $(MOLECULE) create --scenario-name default && $(MOLECULE) prepare --scenario-name default; rc=$$?; \
	    $(MOLECULE) destroy --scenario-name default; exit $$rc; }
