"""One severity scale: module_utils/severity.py, and everything that spells it out must agree with it."""
import glob
import os

import pytest
import yaml

from ansible_collections.nfdoctor.netfilter.plugins.module_utils import findings, known_bad_kernels, severity
from ansible_collections.nfdoctor.netfilter.plugins.plugin_utils import report_model

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))


def test_rank_orders_none_below_every_finding():
    assert [severity.rank(s) for s in severity.SEVERITY_CHOICES] == [0, 1, 2, 3, 4, 5]
    assert severity.rank("CRITICAL") == 5
    for bad in ("urgent", "", None, 3, ["high"]):
        assert severity.rank(bad) is None


@pytest.mark.parametrize("threshold, names", [
    ("none", ()), ("info", severity.SEVERITIES), ("medium", ("medium", "high", "critical")),
    ("Critical", ("critical",)),
])
def test_at_or_above(threshold, names):
    assert severity.at_or_above(threshold) == names


def test_at_or_above_refuses_an_unknown_name():
    with pytest.raises(ValueError, match="urgent"):
        severity.at_or_above("urgent")


def test_every_layer_uses_the_one_scale():
    assert findings.SEVERITIES is severity.SEVERITIES
    assert known_bad_kernels.SEVERITY_CHOICES is severity.SEVERITY_CHOICES
    assert report_model.SEVERITIES is severity.SEVERITIES
    assert report_model.FAIL_ON_CHOICES is severity.SEVERITY_CHOICES
    assert report_model.SEVERITY_RANK is severity.SEVERITY_RANK


def _severity_options():
    """Every role option whose choices are severity names, from the argument specs."""
    for path in sorted(glob.glob(os.path.join(REPO, "roles", "*", "meta", "argument_specs.yml"))):
        with open(path) as handle:
            specs = yaml.safe_load(handle)["argument_specs"]
        for entry, spec in specs.items():
            for name, option in spec.get("options", {}).items():
                if set(option.get("choices", ())) & set(severity.SEVERITIES):
                    yield os.path.relpath(path, REPO), entry, name, option


def test_role_argument_specs_spell_the_scale_in_order():
    options = list(_severity_options())
    assert len(options) >= 3, options  # audit's fail_on and junit threshold, kernel_advisory's minimum
    for path, entry, name, option in options:
        choices = tuple(option["choices"])
        # a threshold may leave out "none" (kernel_advisory: an upgrade needs some finding), nothing else
        allowed = (severity.SEVERITY_CHOICES, severity.SEVERITIES)
        assert choices in allowed, "%s %s.%s: %s is not the scale of module_utils/severity.py" % (
            path, entry, name, choices)
        assert option.get("default") is None or severity.rank(option["default"]) is not None, (path, name)
