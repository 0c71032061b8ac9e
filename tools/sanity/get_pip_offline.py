"""Stand-in for the get-pip.py that ansible-test downloads from ci-files.testing.ansible.com.

ansible-test sanity --local builds a venv per test and bootstraps pip into it
with get-pip.py, which these machines cannot download (only PyPI is
reachable). This script does the same job from what is here: ensurepip puts
the interpreter's bundled pip into the venv, then that pip installs the exact
versions ansible-test asked for (`pip==24.2 ...`) from PyPI. It is copied to
~/.ansible/test/cache/get_pip_<version>.py by tools/sanity/ansible-test-sanity.

ansible-test runs it through quiet_pip.py with the arguments get-pip.py takes:
pip options, package requirements, --no-setuptools / --no-wheel.
"""
import subprocess
import sys


def main(argv):
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"],
                          stdout=subprocess.DEVNULL)
    args = [arg for arg in argv if arg not in ("--no-setuptools", "--no-wheel")]
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--disable-pip-version-check"] + args)


if __name__ == "__main__":
    main(sys.argv[1:])
