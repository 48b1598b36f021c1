#!/usr/bin/env python3
"""Stand-in for jupyterhub-singleuser in the launcher tests.

  fake_notebook.py serve [exit-code-on-SIGTERM]   listen where JUPYTERHUB_SERVICE_URL says
  fake_notebook.py fail CODE [stderr line ...]    print the lines to stderr, exit CODE
  fake_notebook.py spam N CODE                    print N numbered lines to stderr, exit CODE
  fake_notebook.py sleep SECONDS CODE             sleep, then exit CODE

FAKE_NB_LISTEN_DELAY_S delays `serve`'s bind; FAKE_NB_PORT_TAKEN makes it fail as if another
process took the port first; FAKE_NB_LOSE_TERM=N makes `serve` lose its first N SIGTERMs, as
Jupyter does when one lands while it writes to stderr.

If FAKE_NB_STATE names a file, it receives {"pid", "env", "argv", "cwd", "signals", "ready"} as JSON
when the process starts, when `serve` is listening with its signal handlers set, and on
every signal.
"""
import http.server
import json
import os
import signal
import socket
import sys
import threading
import time
import urllib.parse

signals = []
ready = []


def save_state():
    path = os.environ.get("FAKE_NB_STATE")
    if not path:
        return
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(
            {
                "pid": os.getpid(),
                "env": dict(os.environ),
                "argv": sys.argv,
                "cwd": os.getcwd(),
                "signals": signals,
                "ready": bool(ready),
            }, f
        )
    os.replace(tmp, path)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"fake": "notebook", "path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def serve(term_code):
    url = urllib.parse.urlsplit(os.environ["JUPYTERHUB_SERVICE_URL"])
    stop = threading.Event()

    lose = [int(os.environ.get("FAKE_NB_LOSE_TERM") or 0)]

    def on_signal(signum, _frame):
        signals.append(signum)
        save_state()
        if signum == signal.SIGTERM:
            if lose[0] > 0:
                lose[0] -= 1
                return
            stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)
    # A slow start (FAKE_NB_LISTEN_DELAY_S), or a neighbour that took the port first
    # (FAKE_NB_PORT_TAKEN): the bind below then fails with the kernel's own error.
    if stop.wait(float(os.environ.get("FAKE_NB_LISTEN_DELAY_S") or 0)):
        sys.exit(term_code)
    if os.environ.get("FAKE_NB_PORT_TAKEN"):
        squatter = socket.socket()
        squatter.bind((url.hostname, url.port))
        squatter.listen(1)
    # Binds like the real server: an occupied port raises "Address already in use" here.
    server = http.server.HTTPServer((url.hostname, url.port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    ready.append(True)
    save_state()  # now signals are handled and the port is bound
    sys.stderr.write("fake notebook listening on %s:%d\n" % (url.hostname, url.port))
    sys.stderr.flush()
    while not stop.wait(0.05):
        pass
    server.shutdown()
    sys.exit(term_code)


def main():
    save_state()
    mode = sys.argv[1]
    if mode == "serve":
        serve(int(sys.argv[2]) if len(sys.argv) > 2 else 0)
    elif mode == "fail":
        for line in sys.argv[3:]:
            sys.stderr.write(line + "\n")
        sys.exit(int(sys.argv[2]))
    elif mode == "spam":
        # Lines given after the exit code come first, then the spam that buries them.
        for line in sys.argv[4:]:
            sys.stderr.write(line + "\n")
        for i in range(int(sys.argv[2])):
            sys.stderr.write("stderr line %04d\n" % i)
        sys.exit(int(sys.argv[3]))
    elif mode == "sleep":
        time.sleep(float(sys.argv[2]))
        sys.exit(int(sys.argv[3]))
    else:
        sys.exit("unknown mode %s" % mode)


if __name__ == "__main__":
    main()
