#!/usr/bin/env python3
"""A tiny stand-in for jupyterhub-singleuser in pipeline tests and benchmarks.

Listens where JUPYTERHUB_SERVICE_URL says and answers GET <prefix>api with {"version": ...}.
With --behaviour FILE (JSON {"<user>": "serve" | "exit:<code>:<stderr line>" | "sleep"}), a
user's server can instead exit at once or never listen.
"""
import http.server
import json
import os
import sys
import time
import urllib.parse


def behaviour():
    if "--behaviour" in sys.argv:
        path = sys.argv[sys.argv.index("--behaviour") + 1]
        try:
            with open(path) as f:
                return json.load(f).get(os.environ.get("JUPYTERHUB_USER", ""), "serve")
        except OSError:
            return "serve"
    return "serve"


def main():
    mode = behaviour()
    if mode.startswith("exit:"):
        _, code, line = mode.split(":", 2)
        sys.stderr.write(line + "\n")
        sys.exit(int(code))
    if mode == "sleep":
        time.sleep(3600)
        return
    url = urllib.parse.urlparse(os.environ["JUPYTERHUB_SERVICE_URL"])
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/")
    user = os.environ.get("JUPYTERHUB_USER", "")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path.startswith(prefix):
                body = json.dumps({"version": "stand-in", "user": user, "path": self.path}).encode()
                self.send_response(200)
            else:
                body = b'{"message": "not found"}'
                self.send_response(404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

        # A client that connects and sends nothing cannot hold the single loop for long.
        timeout = 5

    # One thread, as Jupyter's own event loop: a new thread per request would wait its turn to be
    # scheduled on a busy machine (the bench runs hundreds of jobs on 2 cores); answers are tiny.
    http.server.HTTPServer((url.hostname, url.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
