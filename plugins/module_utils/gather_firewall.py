# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``firewall`` facts: what FORWARD accepts per bridge, the chains runtimes created, what firewall services restore.

Called by gather.Gatherer._gather_firewall after the rules, interfaces and
environment sections, from the rules the rules section parsed (nothing is
listed twice). All I/O goes through the Gatherer's HostSource; no command
here talks to a daemon or loads a module (``dockerd --version`` only prints).
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import posixpath

from ansible_collections.nfdoctor.netfilter.plugins.module_utils import capture_spec as spec
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_firewall import (
    bridge_forward_accepts,
    parse_docker_version,
    parse_nftables_conf,
    parse_restore_file,
    parse_unit_file_states,
    runtime_chains,
)

MAX_NFT_INCLUDE_FILES = 64
MAX_NFT_INCLUDE_DEPTH = 4


def gather_firewall(gatherer):
    """The ``firewall`` facts document part for one Gatherer (see the module docstring)."""
    src = gatherer.src
    facts = gatherer.facts
    rules = getattr(gatherer, "_rules", None) or []
    bridges = sorted(facts.get("bridges") or {})
    nft_tables = sorted(set(r.get("table") for r in rules if isinstance(r, dict) and r.get("source") == "nft"))
    drop_table = getattr(gatherer, "_forward_drop_table", None)
    docker_version, version_source = _docker_version(src)
    return {
        "forward_drop_table": drop_table,
        "bridge_forward_accepts": bridge_forward_accepts(rules, bridges, drop_table),
        "runtime_chains": runtime_chains(rules, nft_tables, getattr(gatherer, "_chains", None) or ()),
        "nftables_conf": _nftables_conf(src),
        "restore_files": _restore_files(src),
        "units": _unit_states(src),
        "docker_version": docker_version,
        "docker_version_source": version_source,
        "docker_containers": _docker_containers(gatherer),
    }


def _nftables_conf(src):
    """flush lines of the nftables.service file and the files it includes (depth and count bounded)."""
    result = {"files": [], "flushes": [], "includes": [], "problems": []}
    todo = [(path, 0) for path in spec.NFTABLES_CONF_FILES]
    seen = set()
    while todo and len(result["files"]) < MAX_NFT_INCLUDE_FILES:
        path, depth = todo.pop(0)
        if path in seen:
            continue
        seen.add(path)
        text = src.read(path, max_bytes=1024 * 1024)
        if text is None:
            continue
        parsed = parse_nftables_conf(text, path)
        result["files"].append(path)
        result["flushes"].extend(parsed["flushes"])
        result["problems"].extend("%s: %s" % (path, p) for p in parsed["problems"])
        for pattern in parsed["includes"]:
            result["includes"].append(pattern)
            if depth + 1 > MAX_NFT_INCLUDE_DEPTH:
                result["problems"].append("%s: include %s deeper than %d levels not followed" % (
                    path, pattern, MAX_NFT_INCLUDE_DEPTH))
                continue
            # nft resolves a relative include against its include path (/etc by default).
            full = pattern if pattern.startswith("/") else posixpath.join("/etc", pattern)
            matches = src.glob(full) if any(ch in full for ch in "*?[") else [full]
            todo.extend((match, depth + 1) for match in matches if not src.isdir(match))
    return result


def _restore_files(src):
    found = []
    for path, service in spec.IPTABLES_RESTORE_FILES:
        text = src.read(path, max_bytes=4 * 1024 * 1024)
        if text is None:
            continue
        parsed = parse_restore_file(text, path)
        parsed["service"] = service
        for problem in parsed.pop("problems"):
            src.error(path, problem)
        found.append(parsed)
    return found


def _unit_states(src):
    """``{unit: "enabled"|"disabled"|...|None}`` for the firewall and runtime units the checks weigh.

    A captured tree answers from ``systemctl list-unit-files`` (sos writes it);
    a live host from the ``.wants/`` links of /etc/systemd/system (no systemctl
    run) and, for a unit without one, whether its unit file is installed.
    """
    states = dict((unit, None) for unit in spec.FIREWALL_UNITS)
    listing = src.command(spec.UNIT_FILES_ARGV) if src.captured else None
    if listing:
        parsed = parse_unit_file_states(listing)
        for unit in states:
            states[unit] = parsed.get(unit)
        return states
    wanted = set()
    for directory in src.glob("/etc/systemd/system/*.wants"):
        wanted.update(src.listdir(directory))
    for unit in states:
        if unit in wanted:
            states[unit] = "enabled"
        elif any(src.exists(base + unit) for base in spec.UNIT_DIRS):
            states[unit] = "disabled"
    return states


def _docker_version(src):
    """([major, minor, patch], where it came from) of the engine, or (None, None)."""
    output = src.command(spec.DOCKERD_VERSION_ARGV, sos_names=list(spec.DOCKER_VERSION_SOS))
    version = parse_docker_version(output) if output else None
    if version is None:
        return None, None
    return version, "dockerd --version" if not src.captured else "docker version"


def _docker_containers(gatherer):
    """How many containers run: Docker's netns files, else the rows of a sosreport's ``docker ps``."""
    namespaces = (gatherer.facts.get("namespaces") or {}).get("container") or []
    if namespaces:
        return len(namespaces)
    if gatherer.src.captured:
        output = gatherer.src.command(["docker", "ps"])
        if output:
            rows = [line for line in output.splitlines()[1:] if line.strip()]
            return len(rows)
    return 0
