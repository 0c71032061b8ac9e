# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan the systemd-networkd forwarding fix from an nfdoctor facts document.

Used by the role ``nfdoctor.netfilter.networkd_forwarding``: the decision of
which drop-ins to write, with which keys, for which systemd version, lives
here (controller side, unit-tested) so the role's tasks only write files.
The version semantics come from ``module_utils.parse_networkd``.
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import posixpath

from ansible.errors import AnsibleFilterError

from ansible_collections.nfdoctor.netfilter.plugins.module_utils.checks_forwarding import (
    CONTAINER_LINK_PATTERNS,
    FIRST_UNMANAGED,
    UNMANAGED_FILE,
    container_link_claims,
    name_list_matches,
    networkd_created_links,
)
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_networkd import (
    forwarding_effect,
    parse_boolean,
)

DROPIN_NAME = "50-nfdoctor-forwarding.conf"
# Used instead when the user already has a later drop-in that sets the same key:
# drop-ins are read in lexical order of name and the last assignment wins.
DROPIN_NAME_LATE = "zz-nfdoctor-forwarding.conf"
CONF_DROPIN = "/etc/systemd/networkd.conf.d/zz-nfdoctor-forwarding.conf"
ETC_NETWORK_DIR = "/etc/systemd/network"
HEADER = "# Managed by Ansible (nfdoctor.netfilter.networkd_forwarding); local changes are overwritten.\n"

FIRST_IPFORWARD = 219
FIRST_PER_LINK = 256


def _setting_file(settings, key):
    setting = (settings or {}).get(key)
    return setting.get("file") if isinstance(setting, dict) else None


def _dropin_name_for(network_file, key):
    """50-... unless a user drop-in sorting after it already sets ``key``."""
    source = _setting_file(network_file.get("settings"), key)
    if source and source.endswith(".conf") and posixpath.basename(source) > DROPIN_NAME \
            and "nfdoctor-forwarding" not in posixpath.basename(source):
        return DROPIN_NAME_LATE
    return DROPIN_NAME


def networkd_forwarding_plan(facts, links=None, ipv6=False, version=None, unmanaged_names=None):
    """Return the plan for the role (see the role README for the fields).

    ``unmanaged_names`` is the [Match] Name= list of the Unmanaged=yes file the
    same run writes (networkd_unmanaged_plan): links it takes are not managed
    by networkd afterwards, so they get no drop-in and are not verified.
    """
    if not isinstance(facts, dict):
        raise AnsibleFilterError("networkd_forwarding_plan: expected the nfdoctor facts document (a dict), "
                                 "got %s" % type(facts).__name__)
    networkd = facts.get("networkd") or {}
    plan = {"applicable": False, "skip_reason": "", "version": None, "mode": None, "links": [],
            "dropins": [], "conf_dropin": None, "unmanaged_links": [], "verify_links": [],
            "restart_required": False, "notes": []}
    if not networkd.get("installed") or networkd.get("running") is False:
        plan["skip_reason"] = "systemd-networkd is not %s on this host" % (
            "running" if networkd.get("installed") else "installed")
        return plan
    # Without Jinja native types (ansible-core 2.16) a version from set_fact arrives as text.
    if isinstance(version, str) and version.strip().isdigit():
        version = int(version.strip())
    version = version if isinstance(version, int) and not isinstance(version, bool) else networkd.get("version")
    if not isinstance(version, int) or version < FIRST_IPFORWARD:
        plan["skip_reason"] = ("systemd version %s: %s" % (
            version, "unknown, cannot choose between IPForward= and IPv4Forwarding=" if version is None
            else "predates IPForward= (v219); networkd does not touch forwarding"))
        return plan
    plan["version"] = version
    plan["mode"] = "IPv4Forwarding" if version >= FIRST_PER_LINK else "IPForward"

    # An Unmanaged=yes file is the first match of its links, but networkd then leaves them alone:
    # no drop-in there would be read, and nothing turns their forwarding on.
    unmanaged = ((facts.get("routing") or {}).get("networkd_unmanaged")) or {}
    active = [f for f in networkd.get("network_files") or []
              if not f.get("shadowed_by") and not f.get("masked")
              and not (unmanaged.get(f.get("path")) or {}).get("value")]
    released = set()
    if unmanaged_names:
        if not isinstance(unmanaged_names, (list, tuple)) or not all(isinstance(x, str) for x in unmanaged_names):
            raise AnsibleFilterError("networkd_forwarding_plan: unmanaged_names must be a list of [Match] Name= globs")
        released = set(name for name in facts.get("interfaces") or [] if name_list_matches(unmanaged_names, name))
    if released:
        active = [dict(f, interfaces=[n for n in f.get("interfaces") or [] if n not in released]) for f in active]
        plan["notes"].append("left to their runtime (Unmanaged=yes from now on): %s" % ", ".join(sorted(released)))
    managed = {}
    for nfile in active:
        for name in nfile.get("interfaces") or []:
            managed.setdefault(name, nfile)

    forwarding = facts.get("forwarding") or {}
    if links:
        if not isinstance(links, (list, tuple)) or not all(isinstance(x, str) for x in links):
            raise AnsibleFilterError("networkd_forwarding_plan: links must be a list of interface names")
        wanted = list(links)
    elif _host_forwards(facts):
        # The host routes, runs containers, or the audit found networkd in the way of forwarding:
        # every link networkd manages.
        wanted = sorted(name for name in managed if name != "lo")
    else:
        # No host-wide signal (networkd may have switched ip_forward off itself): the links whose
        # own .network file asks for IPv4 forwarding, e.g. an IPForward=yes that 256+ ignores.
        wanted = sorted(name for nfile in active if _file_asks_for_forwarding(nfile)
                        for name in nfile.get("interfaces") or [] if name != "lo")
        if not wanted:
            plan["skip_reason"] = ("net.ipv4.ip_forward is %s, no container runtime, no networkd forwarding "
                                   "finding, no .network file asking for forwarding and no links named in "
                                   "nfdoctor_networkd_forwarding_links: this host does not forward"
                                   % forwarding.get("ipv4"))
            return plan
    plan["links"] = wanted
    plan["unmanaged_links"] = [name for name in wanted if name not in managed]
    if plan["unmanaged_links"]:
        plan["notes"].append("not managed by systemd-networkd, left alone: %s" % ", ".join(plan["unmanaged_links"]))

    conf = (networkd.get("conf") or {}).get("settings") or {}
    chosen = []
    for nfile in active:
        targets = [name for name in nfile.get("interfaces") or [] if name in wanted]
        if not targets:
            continue
        effect = forwarding_effect(version, nfile.get("settings") or {}, conf)
        plan["verify_links"].extend(targets)
        if effect["ipforward_ignored"]:
            plan["notes"].append(
                "%s: IPForward= is ignored by systemd %d; the drop-in's IPv4Forwarding=yes takes its place "
                "(the file itself is not edited)" % (nfile["path"], version))
        settings = nfile.get("settings") or {}
        # "no": networkd writes 0, always fix. "kernel": networkd leaves the sysctl alone, so a drop-in
        # only helps where a link is off now (networkd then turns it on when it reconfigures the link).
        off_now = [name for name in targets
                   if ((forwarding.get("interfaces") or {}).get(name) or {}).get("ipv4") != 1]
        # An ignored IPForward=yes (256+) still says what the user meant: carry it over, or the
        # next reboot without another forwarding source leaves the link off (the 256 upgrade outage).
        carries_ignored = effect["ipforward_ignored"] and _file_asks_for_forwarding(nfile)
        needs_ipv4 = effect["effective_ipv4_forwarding"] == "no" or (
            effect["effective_ipv4_forwarding"] != "yes" and (bool(off_now) or carries_ignored))
        if plan["mode"] == "IPv4Forwarding":
            needs_ipv6 = ipv6 and parse_boolean(_value(settings, "IPv6Forwarding")) is not True
        else:
            ipforward = _value(settings, "IPForward")
            needs_ipv6 = ipv6 and not (parse_boolean(ipforward) is True or ipforward == "both")
        if not (needs_ipv4 or needs_ipv6):
            continue
        chosen.append((nfile, targets, effect))

    for nfile, targets, effect in chosen:
        key = plan["mode"]
        name = _dropin_name_for(nfile, key)
        basename = posixpath.basename(nfile["path"])
        if plan["mode"] == "IPForward":
            # ipv4 only unless asked: IPv6 forwarding changes router behaviour (RA handling).
            body = "[Network]\nIPForward=%s\n" % ("yes" if ipv6 else "ipv4")
        else:
            body = "[Network]\nIPv4Forwarding=yes\n" + ("IPv6Forwarding=yes\n" if ipv6 else "")
        others = [n for n in nfile.get("interfaces") or [] if n not in targets]
        if others:
            plan["notes"].append("%s also applies to %s; forwarding is enabled there too"
                                 % (nfile["path"], ", ".join(others)))
        plan["dropins"].append({
            "network_file": nfile["path"],
            "path": posixpath.join(ETC_NETWORK_DIR, basename + ".d", name),
            "links": list(nfile.get("interfaces") or []),
            "content": HEADER + "# Why: %s\n" % effect["reason"].replace("\n", " ") + body,
            "reason": effect["reason"],
        })

    if plan["mode"] == "IPv4Forwarding":
        _plan_conf_dropin(plan, conf, ipv6)
    plan["applicable"] = True
    return plan


# Findings that mean the audit judged forwarding wanted and networkd in its way.
FORWARDING_FINDINGS = ("NETWORKD_FORWARDING_RESET", "NETWORKD_IPFORWARD_IGNORED", "INTERFACE_FORWARDING_OFF")


def _host_forwards(facts):
    environment = facts.get("environment") or {}
    findings = [f.get("id") for f in facts.get("findings") or [] if isinstance(f, dict)]
    return ((facts.get("forwarding") or {}).get("ipv4") == 1
            or bool(environment.get("container_runtimes") or environment.get("kubernetes"))
            or any(finding in FORWARDING_FINDINGS for finding in findings))


def _file_asks_for_forwarding(nfile):
    settings = nfile.get("settings") or {}
    ipforward = _value(settings, "IPForward")
    masquerade = _value(settings, "IPMasquerade")
    return (parse_boolean(ipforward) is True or ipforward in ("ipv4", "both")
            or parse_boolean(_value(settings, "IPv4Forwarding")) is True
            or parse_boolean(masquerade) is True or masquerade in ("ipv4", "both"))


def _plan_conf_dropin(plan, conf, ipv6):
    """networkd.conf(.d) [Network] override, systemd 256+.

    IPv4Forwarding=no there sets net.ipv4.conf.all.forwarding=0, which the kernel
    copies to every interface, and is the default of every managed link. IPv6
    needs the global switch anyway: per-link IPv6Forwarding=yes alone forwards
    nothing (systemd.network(5), systemd PR #33457), so with ipv6 the global
    IPv6Forwarding=yes is written unless it is already set.
    """
    lines, why = [], []
    if parse_boolean(_value(conf, "IPv4Forwarding")) is False:
        lines.append("IPv4Forwarding=yes")
        why.append("IPv4Forwarding=no in %s:%s turns IPv4 forwarding off globally and for every link "
                   "without its own setting" % (conf["IPv4Forwarding"].get("file"), conf["IPv4Forwarding"].get("line")))
    if ipv6 and parse_boolean(_value(conf, "IPv6Forwarding")) is not True:
        lines.append("IPv6Forwarding=yes")
        where = conf.get("IPv6Forwarding")
        why.append("IPv6 forwarding needs the global switch (per-link IPv6Forwarding= alone forwards nothing)%s"
                   % (" and %s:%s sets it to %s" % (where.get("file"), where.get("line"), where.get("value"))
                      if isinstance(where, dict) else ""))
    if not lines:
        return
    plan["conf_dropin"] = {
        "path": CONF_DROPIN,
        "content": HEADER + "".join("# Why: %s.\n" % reason for reason in why)
        + "# networkd.conf.d drop-ins are read in lexical order across all directories and the last\n"
          "# one wins, so this name sorts last.\n"
        + "[Network]\n" + "".join(line + "\n" for line in lines),
        "reason": "; ".join(why),
    }
    plan["restart_required"] = True  # networkd reads networkd.conf only at start
    for key in ("IPv4Forwarding", "IPv6Forwarding"):
        setting = conf.get(key)
        if isinstance(setting, dict) and posixpath.basename(setting.get("file") or "") > posixpath.basename(CONF_DROPIN):
            plan["notes"].append("%s sorts after %s and still wins for %s=; rename or edit it"
                                 % (setting["file"], CONF_DROPIN, key))


def _value(settings, key):
    setting = (settings or {}).get(key)
    if isinstance(setting, dict) and isinstance(setting.get("value"), str):
        return setting["value"].strip().lower()
    return None


UNMANAGED_HEADER = ("# Managed by Ansible (nfdoctor.netfilter.networkd_forwarding); local changes are overwritten.\n"
                    "# systemd-networkd applies the first .network file (by name, across /etc, /run and /usr/lib)\n"
                    "# that matches a link: this one sorts first and leaves the container runtime's links alone.\n")


def _to_version(version, networkd):
    if isinstance(version, str) and version.strip().isdigit():
        version = int(version.strip())
    if isinstance(version, int) and not isinstance(version, bool):
        return version
    known = networkd.get("version")
    return known if isinstance(known, int) and not isinstance(known, bool) else None


def networkd_unmanaged_plan(facts, version=None):
    """The [Link] Unmanaged=yes file that takes container links back from systemd-networkd.

    Planned from the same claims NETWORKD_MANAGES_CONTAINER_LINKS reports
    (checks_forwarding.container_link_claims): the container link patterns that
    cover the links and would-be links the claiming files take, the exact names of
    taken links no pattern covers, the patterns the file already holds (so a second
    run writes the same file), and a "!name" for every link networkd creates from a
    .netdev file that a pattern would catch (the admin's own veth stays managed).
    Returns ``{"applicable", "skip_reason", "version", "path", "content", "names",
    "excluded", "match_name", "files", "notes"}``; ``match_name`` is the file's
    [Match] Name= list; ``files`` are the claiming .network files the file fixes.
    """
    if not isinstance(facts, dict):
        raise AnsibleFilterError("networkd_unmanaged_plan: expected the nfdoctor facts document (a dict), "
                                 "got %s" % type(facts).__name__)
    networkd = facts.get("networkd") or {}
    version = _to_version(version, networkd)
    plan = {"applicable": False, "skip_reason": "", "version": version, "path": UNMANAGED_FILE, "content": None,
            "names": [], "excluded": [], "match_name": [], "files": [], "notes": []}
    claims = container_link_claims(dict(facts, networkd=dict(networkd, version=version)))
    if not claims:
        plan["skip_reason"] = "no .network file takes a container link"
        return plan
    if version is None:
        plan["skip_reason"] = ("systemd version unknown: Unmanaged= needs networkd %d+, and an older one would "
                               "manage the links this file names instead" % FIRST_UNMANAGED)
        return plan
    if version < FIRST_UNMANAGED:
        plan["skip_reason"] = "systemd %d predates [Link] Unmanaged= (v%d)" % (version, FIRST_UNMANAGED)
        return plan
    fixable = [claim for claim in claims if claim["fixable"]]
    for claim in claims:
        if not claim["fixable"]:
            plan["notes"].append("%s sorts before %s and keeps its links: narrow its [Match]"
                                 % (claim["path"], UNMANAGED_FILE))
    if not fixable:
        plan["skip_reason"] = "every .network file that takes container links sorts before %s" % UNMANAGED_FILE
        return plan
    wanted = set()
    for claim in fixable:
        wanted.update(claim["taken"])
        wanted.update(claim["latent"])
    names = [p for p in CONTAINER_LINK_PATTERNS if any(name_list_matches([p], n) for n in wanted)]
    names.extend(sorted(n for n in wanted if not any(name_list_matches([p], n) for p in names)))
    for entry in networkd.get("network_files") or []:
        if entry.get("path") == UNMANAGED_FILE and not entry.get("shadowed_by"):
            kept = [p for p in ((entry.get("match") or {}).get("Name") or []) if not p.startswith("!")]
            names.extend(p for p in kept if p not in names)
    created = networkd_created_links(facts)
    excluded = sorted(link for link in created if name_list_matches(names, link))
    plan["names"] = names
    plan["excluded"] = excluded
    plan["match_name"] = names + ["!" + link for link in excluded]
    plan["files"] = [claim["path"] for claim in fixable]
    why = "; ".join("%s took %s" % (claim["path"], ", ".join(claim["taken"] or claim["latent"])) for claim in fixable)
    plan["content"] = (UNMANAGED_HEADER + "# Why: %s.\n" % why
                       + "".join("# %s is created by systemd-networkd from %s:%s, so it stays managed.\n"
                                 % (link, created[link].get("file"), created[link].get("line")) for link in excluded)
                       + "[Match]\nName=%s\n\n[Link]\nUnmanaged=yes\n"
                       % " ".join(plan["match_name"]))
    plan["applicable"] = True
    return plan


class FilterModule(object):
    def filters(self):
        return {"networkd_forwarding_plan": networkd_forwarding_plan,
                "networkd_unmanaged_plan": networkd_unmanaged_plan}
