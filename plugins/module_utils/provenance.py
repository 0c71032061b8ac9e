# -*- coding: utf-8 -*-
# Copyright: (c) 2026, nfdoctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where each fact family of the facts document came from (``facts["provenance"]``).

The gatherer records the file or command each family was answered from; on a
live host a family that needed no fallback names the live paths of
``sos_layout.FACT_LOCATIONS``. For a captured tree, ``layout()`` tells our
capture from a real sosreport (and its sos version), and
``sos_source.SosFallbacks`` adds the readers of sos's own files on top of this
class. A live audit needs only this class, so it does not import sos_source.
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.nfdoctor.netfilter.plugins.module_utils import sos_layout

FAMILIES = ("netfilter_rules", "systemd_version", "networkd_running", "bridges", "processes", "namespaces",
            "container_runtimes")


class Provenance(object):
    """Keeps the provenance of each fact family and the layout of the tree (live, capture, sos)."""

    def __init__(self, src):
        self.src = src
        self._sources = dict((family, []) for family in FAMILIES)
        self._layout = None

    # ------------------------------------------------------------ plumbing
    def layout(self):
        """``{"layout": live|capture|sos 3.x|sos 4.x|sos, "sos_version": str|None}``."""
        if self._layout is None:
            if not self.src.captured:
                self._layout = {"layout": sos_layout.LIVE, "sos_version": None}
            else:
                manifest = self.src.read("/sos_reports/manifest.json")
                version_txt = self.src.read("/version.txt")
                parsed = sos_layout.parse_sos_version(version_txt, manifest)
                for problem in parsed["problems"]:
                    self.src.error("sos version", problem)
                version = parsed["version"]
                if version:
                    name = sos_layout.SOS3 if version.startswith(("1.", "2.", "3.")) else sos_layout.SOS4
                elif self.src.exists("/sos_logs") or self.src.exists("/sos_reports"):
                    name = "sos"
                else:
                    name = sos_layout.CAPTURE
                self._layout = {"layout": name, "sos_version": version}
        return self._layout

    def is_sos(self):
        return self.layout()["layout"] not in (sos_layout.LIVE, sos_layout.CAPTURE)

    def record(self, family, source):
        if source and source not in self._sources.setdefault(family, []):
            self._sources[family].append(source)

    def provenance(self):
        """What the facts document says about where each fact family came from.

        On a live host a family that needed no fallback names the live paths
        of ``sos_layout.FACT_LOCATIONS``; on a captured tree an empty list
        means the tree does not hold it (the reason is in errors).
        """
        result = dict(self.layout())
        live = result["layout"] == sos_layout.LIVE
        for family, sources in self._sources.items():
            if not sources and live:
                sources = sos_layout.FACT_LOCATIONS.get(family, {}).get(sos_layout.LIVE, [])
            result[family] = list(sources)
        return result

    def _find(self, name):
        """Host path of sos_commands/*/``name``, or None."""
        found = self.src.glob("/sos_commands/*/" + name)
        return found[0] if found else None

    def _read_first(self, names, max_bytes=None):
        """(path, text) of the first of ``names`` under sos_commands/*/ that reads, or (None, None)."""
        for name in names:
            path = name if name.startswith("/") else self._find(name)
            if path is None:
                continue
            text = self.src.read(path, max_bytes=max_bytes)
            if text is not None:
                return path, text
        return None, None

    def _problems(self, source, result):
        for problem in result.get("problems", []):
            self.src.error(source, problem)

    def found_name(self, argv, sos_names):
        """The sos_commands path the data source answered ``argv`` from (captured trees only)."""
        if not self.src.captured:
            return " ".join(argv)
        for name in [sos_layout.sos_command_name(argv)] + list(sos_names):
            path = self._find(name)
            if path:
                return path.lstrip("/")
        return None

    def _missing(self, family, message):
        version = self.layout()["sos_version"]
        self.src.error("sos:%s" % family, "%s%s" % (message, " (report written by sos %s)" % version
                                                    if version else ""))
