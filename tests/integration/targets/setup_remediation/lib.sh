# Shared by the remediation integration targets (sourced by their runme.sh).
# Every play runs on localhost against a scratch copy of a host tree; the roles
# and modules are given that copy as their root, so this machine's /etc, /proc
# and kernel are never touched.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)
FIXTURES="$REPO/tests/unit/fixtures"
export ANSIBLE_COLLECTIONS_PATH="${ANSIBLE_COLLECTIONS_PATH:-$REPO/.build/collections}"
export ANSIBLE_CONFIG="${ANSIBLE_CONFIG:-$REPO/ansible.cfg}"
export ANSIBLE_NOCOLOR=1
export ANSIBLE_RETRY_FILES_ENABLED=0
PLAYBOOK="${ANSIBLE_PLAYBOOK:-$REPO/.venv/bin/ansible-playbook}"

WORK=$(mktemp -d /tmp/nfdoctor-it.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
TARGET=$(basename "$(cd "$(dirname "$0")" && pwd)")

fail() { echo "FAIL [$TARGET]: $*" >&2; exit 1; }
pass() { echo "ok   [$TARGET]: $*"; }

# make_root NAME FIXTURE...: a scratch root holding the fixture trees merged.
make_root() {
    local root="$WORK/$1"; shift
    mkdir -p "$root"
    local tree
    for tree in "$@"; do cp -a "$tree/." "$root/"; done
    echo "$root"
}

# play LOG PLAYBOOK ARGS...: run a playbook, keep its output, set CHANGED and
# FAILED from the recap line of localhost.
play() {
    local log="$WORK/$1.log"; shift
    # the controller's own Python: no interpreter discovery on a machine with pyenv shims
    if ! "$PLAYBOOK" -i localhost, -c local -e 'ansible_python_interpreter={{ ansible_playbook_python }}' \
            "$@" >"$log" 2>&1; then
        cat "$log" >&2
        fail "ansible-playbook $* failed (log above)"
    fi
    local recap
    recap=$(grep -E '^localhost +: ' "$log" | tail -1)
    CHANGED=$(sed -E 's/.*changed=([0-9]+).*/\1/' <<<"$recap")
    FAILED=$(sed -E 's/.*failed=([0-9]+).*/\1/' <<<"$recap")
    LOG="$log"
}

# tree_state ROOT: path, mode, link target and checksum of everything in ROOT.
tree_state() {
    (cd "$1" && find . -printf '%p %m %y %l\n' | sort && \
        find . -type f -print0 | sort -z | xargs -0 -r sha256sum)
}
