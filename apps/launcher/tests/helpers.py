"""Shared pieces of the launcher tests: a real HTTP hub, temp homes, running the launcher."""
import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
LAUNCHER = os.path.join(os.path.dirname(HERE), "condorhub_launcher.py")
FAKE_NOTEBOOK = os.path.join(HERE, "fake_notebook.py")
TOKEN = "spawn-token-0123456789abcdef"
BOOTSTRAP = "6f1c2a34-1111-4222-8333-444455556666." + "ab" * 32
EXCHANGED_TOKEN = "exchanged-token-fedcba9876543210"


class FakeHub(object):
    """The hub's API on a real socket. Records every request; answers port reports with the
    statuses in `port_statuses` in turn (the last one repeats)."""

    def __init__(self, port_statuses=(200,), launcher_status=200, exchange_statuses=(200,)):
        self.requests = []
        self.port_statuses = list(port_statuses)
        self.exchange_statuses = list(exchange_statuses)
        self.launcher_status = launcher_status
        self.version = "3.0.0"
        self.cond = threading.Condition()
        hub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                # jupyterhub-singleuser checks the hub's version at startup.
                out = json.dumps({"version": hub.version}).encode()
                self.send_response(200)
                self.send_header("X-JupyterHub-Version", hub.version)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    body = json.loads(raw.decode("utf-8"))
                except ValueError:
                    body = None
                status = hub._answer(self.path, body)
                record = {
                    "path": self.path,
                    "headers": dict(self.headers.items()),
                    "raw": raw,
                    "body": body,
                    "client": self.client_address[0],
                }
                with hub.cond:
                    hub.requests.append(record)
                    hub.cond.notify_all()
                answer = {"status": status}
                if self.path.endswith("/api-token") and status == 200:
                    answer = {"token": EXCHANGED_TOKEN}
                out = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.api_url = "http://127.0.0.1:%d/hub/api" % self.server.server_address[1]

    def _answer(self, path, body):
        if path.endswith("/batchspawner"):
            with self.cond:
                status = self.port_statuses.pop(0) if len(self.port_statuses) > 1 else self.port_statuses[0]
            return status
        if path.endswith("/condorhub/launcher"):
            return self.launcher_status
        if path.endswith("/condorhub/launcher/api-token"):
            with self.cond:
                return self.exchange_statuses.pop(0) if len(self.exchange_statuses) > 1 else self.exchange_statuses[0]
        return 404

    def of(self, suffix):
        with self.cond:
            return [r for r in self.requests if r["path"].endswith(suffix)]

    def wait_for(self, suffix, timeout=15):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                found = [r for r in self.requests if r["path"].endswith(suffix)]
                if found:
                    return found[0]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("no request to %s within %s s; got %r" % (suffix, timeout, self.requests))
                self.cond.wait(left)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class LauncherCase(unittest.TestCase):
    """A temp home, a fake hub, and a launcher to run against them."""

    hub_kwargs = {}

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="condorhub-launcher-test-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.home = os.path.join(self.tmp, "home")
        os.mkdir(self.home)
        self.state_file = os.path.join(self.tmp, "notebook-state.json")
        self.hub = FakeHub(**self.hub_kwargs)
        self.addCleanup(self.hub.close)

    def env(self, **extra):
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": self.home,
            "LANG": "C.UTF-8",
            "JUPYTERHUB_API_TOKEN": TOKEN,
            "JUPYTERHUB_API_URL": self.hub.api_url,
            "JUPYTERHUB_SERVICE_URL": "http://0.0.0.0:0/user/alice/",
            "JUPYTERHUB_SERVICE_PREFIX": "/user/alice/",
            "JUPYTERHUB_USER": "alice",
            "JUPYTERHUB_SERVER_NAME": "",
            "CONDORHUB_BIND_HOST": "127.0.0.1",
            "CONDORHUB_REPORT_BACKOFF_S": "0.05",
            "FAKE_NB_STATE": self.state_file,
        }
        env.update(extra)
        return {k: v for k, v in env.items() if v is not None}

    @staticmethod
    def notebook(*args):
        return [sys.executable, FAKE_NOTEBOOK] + [str(a) for a in args]

    def run_launcher(self, args, env=None, timeout=60, python=None, prefix=()):
        cmd = list(prefix) + [python or sys.executable, LAUNCHER] + list(args)
        return subprocess.run(
            cmd, env=env or self.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout
        )

    def start_launcher(self, args, env=None, prefix=()):
        return subprocess.Popen(
            list(prefix) + [sys.executable, LAUNCHER] + list(args),
            env=env or self.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            # Its own process group, so a cleanup can end the notebook with it (see stop).
            start_new_session=True,
        )

    @staticmethod
    def stop(proc):
        # The whole group: a notebook left behind by a failed test would hold the output pipes open.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        proc.communicate(timeout=30)

    def notebook_state(self, timeout=15, want=None):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with open(self.state_file) as f:
                    state = json.load(f)
                if want is None or want(state):
                    return state
            except (OSError, ValueError):
                pass
            time.sleep(0.05)
        raise AssertionError("the stand-in notebook did not write its state in time")

    def assertFailed(self, result, code):
        self.assertEqual(
            result.returncode,
            code,
            "launcher exit code %s, expected %s\nstderr:\n%s" % (result.returncode, code, result.stderr.decode(errors="replace")),
        )


def run_root(cmd):
    """(ok, output) of a privileged command such as mount; never raises."""
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, str(exc)
    return p.returncode == 0, p.stdout.decode(errors="replace")


def mount_tmpfs(case, path, size="64k"):
    """Mount a tiny tmpfs on path for the test, unmounted at cleanup; skips when not allowed."""
    if os.geteuid() != 0:
        raise unittest.SkipTest("mounting a tmpfs needs root (running as uid %d)" % os.geteuid())
    ok, out = run_root(["mount", "-t", "tmpfs", "-o", "size=%s,mode=0755" % size, "tmpfs", path])
    if not ok:
        raise unittest.SkipTest("cannot mount a tmpfs here: %s" % out.strip())
    case.addCleanup(run_root, ["umount", "-l", path])
