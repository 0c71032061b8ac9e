#!/usr/bin/env bash
# Integration target for the report filters: runs them from Jinja the way the
# audit role does (under the real templating engine, with hostvars-like input).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../../.." && pwd)
export ANSIBLE_COLLECTIONS_PATH=${ANSIBLE_COLLECTIONS_PATH:-$repo/.build/collections}
export ANSIBLE_CONFIG=${ANSIBLE_CONFIG:-$repo/ansible.cfg}
bin=${BIN:-$repo/.venv/bin}
"$bin/ansible-playbook" -i "$repo/inventory/localhost.yml" "$here/filters.yml" \
    -e fixtures="$repo/tests/unit/fixtures/fleet_reports" "$@"
