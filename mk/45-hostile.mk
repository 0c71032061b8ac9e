# Hostile input (issue 16): remediation against scratch roots on a small,
# read-only or immutable file system, links and '..' that lead out of the root,
# FIFOs and devices in the tree, bad regexps and markers; and hostile offline
# intake. Each case asserts the exact outcome and that nothing outside the root
# changed. Mounts (tmpfs, an ext4 image on a loop device) need root, as CI runs;
# without root those cases are skipped. About a minute on 2 cores.
# mkfs.ext4 (e2fsprogs), chattr (e2fsprogs) and losetup/mount (util-linux, mount).
SYSTEM_PACKAGES += e2fsprogs util-linux mount

.PHONY: test-hostile
TEST_TARGETS += test-hostile

test-hostile: setup system-deps
	$(BIN)/pytest -q tests/hostile
