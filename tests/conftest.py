"""Make ``ansible_collections.nfdoctor.netfilter`` importable from this checkout.

The collection lives at the top of this repository, not inside an
``ansible_collections/nfdoctor/netfilter`` tree, so tests import it through a
link in ``.build/collections`` (the same one the Makefile gives ansible).
"""
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(REPO, ".build", "collections")
LINK = os.path.join(COLLECTIONS, "ansible_collections", "nfdoctor", "netfilter")

if not os.path.islink(LINK):
    os.makedirs(os.path.dirname(LINK), exist_ok=True)
    os.symlink(REPO, LINK)
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)
# helpers every suite shares (module_runner) are imported by name from this directory
TESTS = os.path.dirname(os.path.abspath(__file__))
if TESTS not in sys.path:
    sys.path.insert(0, TESTS)
