#!/usr/bin/env python3
"""A tiny stand-in for jupyterhub-singleuser in pipeline tests and benchmarks.

Listens where JUPYTERHUB_SERVICE_URL says and answers GET <prefix>... with {"version": ...}
(anything else: 404), one request per connection. Every answer names whose server it is
(`X-Stand-In-Owner`) and whether the hub's session cookie reached it (`X-Stand-In-Hub-Cookie`),
so the chaos suite can tell a request routed to another user's notebook. With --behaviour FILE
(JSON {"<user>": "serve" | "exit:<code>:<stderr line>" | "sleep"}), a user's server can instead
exit at once or never listen.

Sockets only, no http.server: the spawn benchmark starts 200 of these on the 2 cores condorhub
runs on, where on a real pool they would run on other machines. http.server's imports cost
about 25 ms of CPU per start, more than the rest of this file.
"""
import json
import os
import socket
import sys
import time

# A client that connects and sends nothing cannot hold the single loop for long.
REQUEST_TIMEOUT_S = 5
MAX_HEAD = 65536


def behaviour():
    if "--behaviour" in sys.argv:
        path = sys.argv[sys.argv.index("--behaviour") + 1]
        try:
            with open(path) as f:
                return json.load(f).get(os.environ.get("JUPYTERHUB_USER", ""), "serve")
        except OSError:
            return "serve"
    return "serve"


def listen_address(url):
    """http://host:port/... → (host, port); IPv6 hosts come in brackets."""
    netloc = url.split("://", 1)[-1].split("/", 1)[0]
    if netloc.startswith("["):
        host, _, rest = netloc[1:].partition("]")
        return host, int(rest.lstrip(":") or 80)
    host, _, port = netloc.rpartition(":")
    return host, int(port)


def answer(conn, prefix, user):
    conn.settimeout(REQUEST_TIMEOUT_S)
    head = b""
    while b"\r\n\r\n" not in head and len(head) < MAX_HEAD:
        chunk = conn.recv(4096)
        if not chunk:
            return  # a port check that connects and leaves, as the launcher's
        head += chunk
    lines = head.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    parts = lines[0].split()
    hub_cookie = any(
        l.lower().startswith(b"cookie:") and b"condorhub-session=" in l for l in lines[1:]
    )
    path = parts[1].decode("latin-1") if len(parts) == 3 else ""
    if parts[:1] == [b"GET"] and path.startswith(prefix):
        status = "200 OK"
        body = json.dumps({"version": "stand-in", "user": user, "path": path}).encode()
    else:
        status = "404 Not Found"
        body = b'{"message": "not found"}'
    conn.sendall(
        (
            "HTTP/1.0 %s\r\nServer: stand-in-notebook\r\nX-Stand-In-Owner: %s\r\n"
            "X-Stand-In-Hub-Cookie: %s\r\nContent-Type: application/json\r\n"
            "Content-Length: %d\r\nConnection: close\r\n\r\n"
            % (status, user, "yes" if hub_cookie else "no", len(body))
        ).encode()
        + body
    )


def main():
    mode = behaviour()
    if mode.startswith("exit:"):
        _, code, line = mode.split(":", 2)
        sys.stderr.write(line + "\n")
        sys.exit(int(code))
    if mode == "sleep":
        time.sleep(3600)
        return
    host, port = listen_address(os.environ["JUPYTERHUB_SERVICE_URL"])
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/")
    user = os.environ.get("JUPYTERHUB_USER", "")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    server = socket.socket(family, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if hasattr(socket, "TCP_DEFER_ACCEPT"):
        # Woken once a request has arrived, not once for the connection and again for its bytes.
        server.setsockopt(socket.IPPROTO_TCP, socket.TCP_DEFER_ACCEPT, 5)
    server.bind((host, port))
    server.listen(128)
    # One request at a time, as Jupyter's single event loop: a thread per request would wait its
    # turn to be scheduled on a busy machine; answers are tiny.
    while True:
        conn, _ = server.accept()
        try:
            answer(conn, prefix, user)
        except OSError:
            pass
        finally:
            conn.close()


if __name__ == "__main__":
    main()
