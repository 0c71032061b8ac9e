#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r"""
---
module: require_commands
short_description: Check that the commands a remediation needs are installed on the managed host
version_added: 0.1.0
description:
  - Looks each command up on C(PATH) and in C(/sbin), C(/usr/sbin) and C(/usr/local/sbin)
    and fails, naming every missing command and the package that provides it
    (for example that C(modinfo) comes with C(kmod)), before a role runs a task that would
    otherwise fail with a raw V([Errno 2] No such file or directory).
  - The nfdoctor remediation roles call it first on a live host; against a scratch tree
    (C(root) other than C(/)) they run no host command and do not call it.
author:
  - nfdoctor maintainers (@nfdoctor)
options:
  commands:
    description: The command names to look for.
    type: list
    elements: str
    required: true
  purpose:
    description: What the commands are needed for, appended to the failure message.
    type: str
attributes:
  check_mode:
    support: full
    description: Only looks; runs the same in check mode.
  diff_mode:
    support: none
    description: Nothing changes.
"""

EXAMPLES = r"""
- name: Make sure modinfo and modprobe are installed
  nfdoctor.netfilter.require_commands:
    commands: [modinfo, modprobe]
    purpose: find and load the conntrack modules
"""

RETURN = r"""
paths:
  description: Each command found, with its full path.
  returned: always
  type: dict
  sample: {"modinfo": "/usr/sbin/modinfo"}
missing:
  description: The commands that were not found (the module fails when this is not empty).
  returned: always
  type: list
  elements: str
  sample: ["modinfo"]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.nfdoctor.netfilter.plugins.module_utils.host_tools import find_command, missing_message


def main():
    module = AnsibleModule(
        argument_spec=dict(
            commands=dict(type="list", elements="str", required=True),
            purpose=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    paths = {}
    missing = []
    for command in module.params["commands"]:
        if not command or "/" in command:
            module.fail_json(msg="commands: %r is not a command name" % command)
        path = find_command(command)
        if path:
            paths[command] = path
        elif command not in missing:
            missing.append(command)
    if missing:
        module.fail_json(msg=missing_message(missing, module.params["purpose"]), paths=paths, missing=missing)
    module.exit_json(changed=False, paths=paths, missing=missing)


if __name__ == "__main__":
    main()
