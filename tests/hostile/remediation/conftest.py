"""Fixtures for the hostile remediation cases; they live in remediation_helpers.py."""
from remediation_helpers import ext4_image, sandbox, small_tmpfs, tmpfs_factory  # noqa: F401 - pytest fixtures
