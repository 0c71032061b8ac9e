# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn the capture script's output (read on stdin) into <host>.tar.gz on the controller.

The collector (nfdoctor.netfilter.capture_script) prints the captured tree as
base64 between ``NFDOCTOR-CAPTURE-BEGIN <format>`` and ``NFDOCTOR-CAPTURE-END``;
anything around the markers (login banners, sudo noise) is ignored. The
tarball is checked to be a readable tar archive before it replaces an earlier
capture of the same host, so a truncated transfer never overwrites a good one.
"""
from __future__ import annotations

import argparse
import base64
import binascii
import gzip
import io
import json
import os
import sys
import tarfile
import tempfile

BEGIN = "NFDOCTOR-CAPTURE-BEGIN"
END = "NFDOCTOR-CAPTURE-END"
FORMATS = ("tar.gz", "tar")
DEFAULT_MAX_BYTES = 512 * 1024 * 1024


class CaptureError(Exception):
    pass


def extract_payload(text):
    """(format, raw bytes) from the script output."""
    lines = text.replace("\r", "").split("\n")
    starts = [i for i, line in enumerate(lines) if line.startswith(BEGIN + " ")]
    if not starts:
        raise CaptureError("no %s line in the output: the capture script did not finish on the host" % BEGIN)
    start = starts[-1]
    fmt = lines[start][len(BEGIN) + 1:].strip()
    if fmt not in FORMATS:
        raise CaptureError("unknown capture format %r" % fmt)
    try:
        end = lines.index(END, start + 1)
    except ValueError:
        raise CaptureError("no %s line: the output was cut short" % END)
    try:
        data = base64.b64decode("".join(lines[start + 1:end]).strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CaptureError("the capture is not valid base64: %s" % exc)
    return fmt, data


def to_tar_gz(fmt, data, max_bytes):
    """The capture as gzip-compressed tar bytes, checked to be a readable archive."""
    raw = data
    if fmt == "tar.gz":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
                raw = stream.read(max_bytes + 1)
        except (OSError, EOFError) as exc:
            raise CaptureError("the capture is not valid gzip: %s" % exc)
    if len(raw) > max_bytes:
        raise CaptureError("the capture unpacks to more than %d bytes" % max_bytes)
    try:
        with tarfile.open(fileobj=io.BytesIO(raw), mode="r:") as tar:
            members = len(tar.getmembers())
    except (tarfile.TarError, EOFError) as exc:
        raise CaptureError("the capture is not a readable tar archive: %s" % exc)
    if fmt == "tar":
        data = gzip.compress(raw)
    return data, members


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", required=True, help="path of the .tar.gz to write")
    parser.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES)
    args = parser.parse_args(argv)
    try:
        fmt, data = extract_payload(sys.stdin.read())
        data, members = to_tar_gz(fmt, data, args.max_bytes)
    except CaptureError as exc:
        sys.stderr.write("nfdoctor capture: %s\n" % exc)
        return 1
    directory = os.path.dirname(os.path.abspath(args.output))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".capture-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, args.output)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    json.dump({"path": os.path.abspath(args.output), "bytes": len(data), "members": members}, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
