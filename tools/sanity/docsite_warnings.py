"""Which of the docsite's Sphinx warnings fail `make docsite`.

The docsite is built offline, so intersphinx is off, and every reference to a
page outside this collection (ansible-core's docs, ansible.builtin,
community.general and ansible.posix plugins) is an undefined label that the
online build resolves through intersphinx: those are counted and allowed.
Anything else fails: an undefined label inside nfdoctor.netfilter (a broken
O()/M()/R() reference), bad markup, a missing file, a toctree problem.

    python docsite_warnings.py SPHINX_WARNING_FILE
"""
import collections
import re
import sys

OWN = "ansible_collections.nfdoctor.netfilter."
UNDEFINED_LABEL = re.compile(r"WARNING: undefined label: '([^']+)'")


def classify(text):
    """(external labels with their count, warnings that fail): a warning spans a line and its indented tail."""
    external, failing = collections.Counter(), []
    warnings = []
    for line in text.splitlines():
        if line.startswith((" ", "\t")) and warnings:
            warnings[-1] += "\n" + line
        elif line.strip():
            warnings.append(line)
    for warning in warnings:
        match = UNDEFINED_LABEL.search(warning)
        if match and not match.group(1).startswith(OWN):
            external[match.group(1)] += 1
        else:
            failing.append(warning)
    return external, failing


def main(path):
    with open(path) as handle:
        external, failing = classify(handle.read())
    if external:
        print("docsite: %d references to %d pages outside the collection, left to intersphinx (off offline): %s"
              % (sum(external.values()), len(external), ", ".join(sorted(external))))
    for warning in failing:
        print("docsite: FAILS: %s" % warning)
    print("docsite: %d warning(s) that fail the build" % len(failing))
    return 1 if failing else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__.rstrip().rsplit("\n", 1)[-1].strip())
    sys.exit(main(sys.argv[1]))
