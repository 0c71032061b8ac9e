"""Run a module's ``main()`` in-process, as Ansible hands it its arguments, and read the JSON it prints.

One copy for every test that drives a module directly (tests/unit/plugins/modules, tests/hostile): the
suites differ only in the arguments they add, never in how a result is read.
"""
import json

import pytest
from ansible.module_utils.testing import patch_module_args


def run_main(capsys, module, args):
    """Return the result ``module.main()`` printed for ``args``, with the exit code as ``rc``."""
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exit_info:
            module.main()
    result = json.loads(capsys.readouterr().out)
    result["rc"] = exit_info.value.code
    return result
