# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Jinja2 environments of the report templates (templates/ beside this file).

A plain jinja2 Environment, not Ansible's templar: the templates are ours,
the values in them are not, and each environment is built once per process.
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os

import jinja2

TEMPLATE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")
_ENVIRONMENTS = {}


def environment(kind, filters):
    """The environment for ``kind`` ('html' escapes every value; 'markdown' leaves escaping to its filters)."""
    env = _ENVIRONMENTS.get(kind)
    if env is None:
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATE_DIR), autoescape=(kind == "html"),
                                 trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
        env.filters.update(filters)
        _ENVIRONMENTS[kind] = env
    return env


def static_text(name):
    """A file shipped beside the templates (the HTML page's CSS and script), as text."""
    with open(os.path.join(TEMPLATE_DIR, name), encoding="utf-8") as handle:
        return handle.read()
