"""Fill this network namespace's conntrack table (copied to the VM by prepare.yml).

udp N: send one datagram from one socket to N closed ports on 127.0.0.1; each
is a new unreplied UDP entry, which lives nf_conntrack_udp_timeout seconds.
tcp N: open N TCP connections to a listener on 127.0.0.1 and hold them; each
handshake makes an assured entry, which the kernel cannot early-drop, so once
the table is full it logs "nf_conntrack: table full, dropping packet". Prints
how many connections got through.
"""
import socket
import sys


def udp(count):
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for port in range(20000, 20000 + count):
        sender.sendto(b"x", ("127.0.0.1", port))
    print("udp %d sent" % count)


def tcp(count):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(count + 16)
    address = listener.getsockname()
    held, refused = [], 0
    for _attempt in range(count):
        client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        client.settimeout(0.3)
        try:
            client.connect(address)
            held.append(client)
        except OSError:
            refused += 1
            client.close()
    print("tcp %d connected, %d dropped" % (len(held), refused))


if __name__ == "__main__":
    {"udp": udp, "tcp": tcp}[sys.argv[1]](int(sys.argv[2]))
