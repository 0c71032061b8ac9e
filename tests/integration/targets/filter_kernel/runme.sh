#!/usr/bin/env bash
# Integration target for the kernel release filters: runs them from Jinja in a
# playbook on localhost (no hosts, no privileges; a few seconds).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../../.." && pwd)
export ANSIBLE_COLLECTIONS_PATH=${ANSIBLE_COLLECTIONS_PATH:-$repo/.build/collections}
export ANSIBLE_CONFIG=${ANSIBLE_CONFIG:-$repo/ansible.cfg}
bin=${BIN:-$repo/.venv/bin}
"$bin/ansible-playbook" -i "$repo/inventory/localhost.yml" "$here/runme.yml" "$@"
