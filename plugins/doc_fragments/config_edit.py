# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type


class ModuleDocFragment(object):
    """What the remediation modules that edit files through config_edit share."""

    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    support: full
    description: The change is planned in full and returned, with its diff, without writing anything.
  diff_mode:
    support: full
    description: Returns one before/after diff per file that changes (or would change).
  platform:
    support: full
    platforms: posix
    description: Linux hosts with kmod (modprobe.d) and, for flush jobs, cron, rc.local or systemd.
notes:
  - Every file is written completely or not at all - a temporary file beside it, every write checked, fsynced and
    its size verified, then renamed over the target - and a failure names the file and leaves it as it was. When a
    later file fails, RV(files_changed) and RV(backups) list the files already written and RV(failed_file) the one
    that was not.
"""
