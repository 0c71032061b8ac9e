"""Fixtures for the hostile intake cases; they live in intake_helpers.py."""
from intake_helpers import captures, outside, python  # noqa: F401 - pytest fixtures
