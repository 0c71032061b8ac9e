"""Tell whether a TCP handshake to HOST PORT crosses the network (copied to the VM by prepare.yml).

Run inside a guest's network namespace: python3 tcp_probe.py HOST PORT [TIMEOUT].
Prints one word and exits with its code, so a test can tell the three apart:
  connected (0)  the SYN reached the listener and its SYN-ACK came back;
  refused   (2)  the peer answered with a RST: the packets crossed, nobody listens;
  timeout   (1)  no answer at all: something on the way (here, FORWARD DROP) ate the SYN.
The guests have no ping (the image has no iputils), and a handshake is what a
guest's services need anyway.
"""
import errno
import socket
import sys


def probe(host, port, timeout):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect((host, port))
    except socket.timeout:
        return "timeout", 1
    except OSError as exc:
        if exc.errno == errno.ECONNREFUSED:
            return "refused", 2
        # EHOSTUNREACH and the like: no route or no ARP answer, which also means "did not cross"
        return "timeout", 1
    finally:
        sock.close()
    return "connected", 0


def main(argv):
    if len(argv) not in (3, 4):
        sys.stderr.write("usage: tcp_probe.py HOST PORT [TIMEOUT]\n")
        return 64
    try:
        port, timeout = int(argv[2]), float(argv[3]) if len(argv) == 4 else 3.0
    except ValueError:
        sys.stderr.write("tcp_probe.py: PORT must be a number and TIMEOUT seconds, got %s\n" % " ".join(argv[2:]))
        return 64
    word, code = probe(argv[1], port, timeout)
    print(word)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv))
