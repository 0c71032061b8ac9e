"""Decoding the collector's output into <host>.tar.gz on the controller."""
import base64
import gzip
import importlib.util
import io
import json
import os
import tarfile

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "..", "..", "..", "..", "roles", "audit", "files", "capture_decode.py")
spec = importlib.util.spec_from_file_location("capture_decode", SCRIPT)
cd = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cd)


def tar_bytes():
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("./proc/modules")
        data = b"nf_conntrack 139224 7 xt_conntrack, Live 0x0\n"
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def wrap(fmt, payload, noise=True):
    encoded = base64.encodebytes(payload).decode()
    text = "%s %s\r\n%s%s\r\n" % (cd.BEGIN, fmt, encoded.replace("\n", "\r\n"), cd.END)
    return ("Last login: Sun Nov 22\r\n[sudo] password accepted\r\n" + text + "logout\r\n") if noise else text


def test_tar_gz_with_banner_noise_and_crlf():
    fmt, data = cd.extract_payload(wrap("tar.gz", gzip.compress(tar_bytes())))
    assert fmt == "tar.gz"
    out, members = cd.to_tar_gz(fmt, data, 1 << 20)
    assert members == 1 and gzip.decompress(out) == tar_bytes()


def test_plain_tar_is_compressed():
    fmt, data = cd.extract_payload(wrap("tar", tar_bytes(), noise=False))
    out, _members = cd.to_tar_gz(fmt, data, 1 << 20)
    assert gzip.decompress(out) == tar_bytes()


@pytest.mark.parametrize("text,message", [
    ("bash: /bin/sh: not found\n", "did not finish"),
    ("%s tar.gz\nH4sI\n" % cd.BEGIN, "cut short"),
    ("%s zip\nAAAA\n%s\n" % (cd.BEGIN, cd.END), "unknown capture format"),
    ("%s tar.gz\n!!!!\n%s\n" % (cd.BEGIN, cd.END), "not valid base64"),
])
def test_broken_output(text, message):
    with pytest.raises(cd.CaptureError, match=message):
        cd.extract_payload(text)


def test_not_gzip_or_not_tar_or_too_big():
    with pytest.raises(cd.CaptureError, match="not valid gzip"):
        cd.to_tar_gz("tar.gz", b"plain bytes", 1 << 20)
    with pytest.raises(cd.CaptureError, match="not a readable tar"):
        cd.to_tar_gz("tar", b"x" * 600, 1 << 20)
    with pytest.raises(cd.CaptureError, match="more than 100 bytes"):
        cd.to_tar_gz("tar.gz", gzip.compress(tar_bytes()), 100)


def test_main_keeps_an_earlier_capture_when_the_new_one_is_broken(tmp_path, monkeypatch, capsys):
    target = tmp_path / "web01.tar.gz"
    monkeypatch.setattr("sys.stdin", io.StringIO(wrap("tar.gz", gzip.compress(tar_bytes()))))
    assert cd.main(["--output", str(target)]) == 0
    assert json.loads(capsys.readouterr().out)["members"] == 1
    good = target.read_bytes()
    monkeypatch.setattr("sys.stdin", io.StringIO("%s tar.gz\nH4sI" % cd.BEGIN))
    assert cd.main(["--output", str(target)]) == 1
    assert "cut short" in capsys.readouterr().err
    assert target.read_bytes() == good
    assert [p.name for p in tmp_path.iterdir()] == ["web01.tar.gz"]
