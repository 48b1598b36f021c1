"""The launcher as the job runs it: a real hub socket, a stand-in notebook, real signals."""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import unittest
import urllib.request

from tests.helpers import TOKEN, LauncherCase


class SuccessTest(LauncherCase):
    def test_reports_the_port_then_serves_and_stops_on_sigterm(self):
        ad = os.path.join(self.tmp, "machine.ad")
        with open(ad, "w") as f:
            f.write('Name = "slot1@127.0.0.2"\nMachine = "127.0.0.2"\n')
        env = self.env(_CONDOR_MACHINE_AD=ad, CONDORHUB_BIND_HOST=None, _CONDOR_SIM_PORT_RANGE="42100-42199")
        proc = self.start_launcher(["--"] + self.notebook("serve", 42), env=env)
        self.addCleanup(self.stop, proc)

        report = self.hub.wait_for("/batchspawner")
        self.assertEqual(report["path"], "/hub/api/batchspawner")
        self.assertEqual(report["headers"]["Authorization"], "token " + TOKEN)
        self.assertEqual(report["headers"]["Content-Type"], "application/json")
        self.assertEqual(list(report["body"].keys()), ["port"])
        port = report["body"]["port"]
        self.assertIsInstance(port, int)
        self.assertTrue(42100 <= port <= 42199, port)  # inside the slot's range

        state = self.notebook_state(want=lambda s: s["ready"])
        self.assertEqual(state["env"]["JUPYTERHUB_SERVICE_URL"], "http://127.0.0.2:%d/user/alice/" % port)
        self.assertEqual(state["env"]["JUPYTERHUB_API_TOKEN"], TOKEN)
        self.assertEqual(state["env"]["JUPYTERHUB_SERVICE_PREFIX"], "/user/alice/")

        # The hub's handshake: the notebook answers on the reported host and port.
        deadline = time.monotonic() + 10
        while True:
            try:
                with urllib.request.urlopen("http://127.0.0.2:%d/user/alice/api" % port, timeout=2) as r:
                    self.assertEqual(json.loads(r.read().decode())["path"], "/user/alice/api")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
        self.assertEqual(proc.returncode, 42, err.decode(errors="replace"))
        self.assertEqual(self.notebook_state()["signals"], [signal.SIGTERM])
        # Stopped by a signal: not a failure, nothing reported.
        self.assertEqual(self.hub.of("/condorhub/launcher"), [])
        # The child's stderr still reaches the job's stderr.
        self.assertIn(b"fake notebook listening on 127.0.0.2:%d" % port, err)

    def test_starts_the_notebook_in_home_even_when_the_job_has_no_HOME(self):
        import pwd

        for env, want in ((self.env(), self.home), (self.env(HOME=None), pwd.getpwuid(os.getuid()).pw_dir)):
            if os.path.exists(self.state_file):
                os.remove(self.state_file)
            proc = self.start_launcher(self.notebook("serve", 0), env=env)
            self.addCleanup(self.stop, proc)
            self.assertEqual(self.notebook_state(want=lambda s: s["ready"])["cwd"], want)
            # SIGTERM reaches the notebook through the launcher, so both are gone before the next.
            proc.send_signal(signal.SIGTERM)
            proc.communicate(timeout=20)

    def test_forwards_sighup_and_sigint(self):
        proc = self.start_launcher(self.notebook("serve", 0))
        self.addCleanup(self.stop, proc)
        self.hub.wait_for("/batchspawner")
        self.notebook_state(want=lambda s: s["ready"])
        proc.send_signal(signal.SIGHUP)
        self.notebook_state(want=lambda s: s["signals"] == [signal.SIGHUP])
        proc.send_signal(signal.SIGINT)
        self.notebook_state(want=lambda s: s["signals"] == [signal.SIGHUP, signal.SIGINT])
        self.assertIsNone(proc.poll(), "the launcher must keep running while its notebook does")
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)
        self.assertEqual(proc.returncode, 0)

    def term_when_serving(self, env):
        """Starts a serving notebook, sends the launcher SIGTERM once it is up; (exit code, stderr)."""
        proc = self.start_launcher(self.notebook("serve", 0), env=env)
        self.addCleanup(self.stop, proc)
        self.hub.wait_for("/batchspawner")
        self.notebook_state(want=lambda s: s["ready"])
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=20)
        return proc.returncode, err

    def test_sends_sigterm_again_to_a_notebook_that_lost_it(self):
        code, err = self.term_when_serving(self.env(FAKE_NB_LOSE_TERM="1", CONDORHUB_STOP_GRACE_S="0.5"))
        self.assertEqual(code, 0, err.decode(errors="replace"))
        self.assertEqual(self.notebook_state()["signals"], [signal.SIGTERM, signal.SIGTERM])
        self.assertIn(b"still running 0.5 s after SIGTERM; sending it again", err)

    def test_a_notebook_that_stops_in_time_gets_sigterm_once(self):
        # The stand-in takes up to 0.5 s to stop (its server's poll interval).
        code, err = self.term_when_serving(self.env(CONDORHUB_STOP_GRACE_S="2"))
        self.assertEqual(code, 0)
        self.assertEqual(self.notebook_state()["signals"], [signal.SIGTERM])
        self.assertNotIn(b"sending it again", err)

    def test_command_from_env_and_leading_options(self):
        env = self.env(CONDORHUB_NOTEBOOK_CMD="%s %s fail 7" % (sys.executable, self.notebook()[1]))
        result = self.run_launcher(["--", "--oops"], env=env)
        self.assertFailed(result, 7)
        state = self.notebook_state()
        self.assertEqual(state["argv"][1:], ["fail", "7", "--oops"])

    def test_without_service_url_appends_port_as_batchspawner(self):
        result = self.run_launcher(self.notebook("fail", 0), env=self.env(JUPYTERHUB_SERVICE_URL=None))
        port = self.hub.of("/batchspawner")[0]["body"]["port"]
        self.assertEqual(self.notebook_state()["argv"][-1], "--port=%d" % port)
        self.assertFailed(result, 0)


class EarlyExitTest(LauncherCase):
    def diagnostics(self):
        reports = self.hub.of("/condorhub/launcher")
        self.assertEqual(len(reports), 1, reports)
        r = reports[0]
        self.assertEqual(r["headers"]["Authorization"], "token " + TOKEN)
        self.assertEqual(r["headers"]["Content-Type"], "application/json")
        self.assertEqual(
            sorted(r["body"].keys()), ["detail", "diagnosis", "exitCode", "host", "message", "stage", "stderrTail"]
        )
        return r["body"]

    def test_missing_module(self):
        lines = ["Traceback (most recent call last):", "ModuleNotFoundError: No module named 'jupyterhub'"]
        result = self.run_launcher(self.notebook("fail", 1, *lines))
        self.assertFailed(result, 1)
        body = self.diagnostics()
        self.assertEqual(body["stage"], "exit")
        self.assertEqual(body["diagnosis"], "module-missing")
        self.assertEqual(body["exitCode"], 1)
        self.assertEqual(body["host"], "127.0.0.1")
        self.assertIn("No module named 'jupyterhub'", body["stderrTail"])
        self.assertTrue(body["message"])
        # tee'd: the job's stderr file still gets the notebook's output.
        self.assertIn(b"No module named 'jupyterhub'", result.stderr)
        # It never listened, so no port was reported: only the failure.
        paths = [r["path"] for r in self.hub.requests]
        self.assertEqual(paths, ["/hub/api/condorhub/launcher"])

    def test_generic_exit_keeps_only_the_tail(self):
        result = self.run_launcher(self.notebook("spam", 500, 3))
        self.assertFailed(result, 3)
        body = self.diagnostics()
        self.assertEqual(body["diagnosis"], "notebook-exited")
        self.assertEqual(body["exitCode"], 3)
        tail = body["stderrTail"].splitlines()
        self.assertEqual(len(tail), 50)
        self.assertEqual(tail[-1], "stderr line 0499")
        self.assertLessEqual(len(body["stderrTail"]), 8192)
        # All 500 lines still reached stderr.
        self.assertIn(b"stderr line 0000", result.stderr)
        self.assertIn(b"stderr line 0499", result.stderr)

    def test_a_quota_error_buried_under_later_output_is_kept_and_classified(self):
        quota = "OSError: [Errno 122] Disk quota exceeded: '/home/u/.local/share/jupyter/nbsignatures.db'"
        result = self.run_launcher(self.notebook("spam", 500, 1, quota))
        self.assertFailed(result, 1)
        body = self.diagnostics()
        self.assertEqual(body["diagnosis"], "home-over-quota")
        tail = body["stderrTail"].splitlines()
        self.assertEqual(tail[0], "[earlier] " + quota)
        self.assertEqual(tail[-1], "stderr line 0499")
        self.assertEqual(len(tail), 51)
        self.assertNotIn("stderr line 0000", body["stderrTail"])

    def test_token_is_redacted_from_the_tail(self):
        result = self.run_launcher(self.notebook("fail", 1, "env: JUPYTERHUB_API_TOKEN=" + TOKEN))
        self.assertFailed(result, 1)
        tail = self.diagnostics()["stderrTail"]
        self.assertNotIn(TOKEN, tail)
        self.assertIn("JUPYTERHUB_API_TOKEN=<redacted>", tail)

    def test_killed_by_a_signal(self):
        script = "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"
        result = self.run_launcher([sys.executable, "-c", script])
        self.assertFailed(result, 128 + signal.SIGKILL)
        self.assertEqual(self.diagnostics()["exitCode"], 128 + signal.SIGKILL)

    def test_port_bind_failure(self):
        # Another process takes the port between the launcher's pick and the notebook's bind:
        # the race batchspawner users meet (jupyterhub#3005), with the real kernel error.
        result = self.run_launcher(self.notebook("serve"), env=self.env(FAKE_NB_PORT_TAKEN="1"))
        self.assertFailed(result, 1)
        body = self.diagnostics()
        self.assertEqual(body["diagnosis"], "port-bind-failure")
        self.assertIn("Address already in use", body["stderrTail"])

    def test_no_free_port_in_the_range(self):
        taken = socket.socket()
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        self.addCleanup(taken.close)
        port = taken.getsockname()[1]
        result = self.run_launcher(self.notebook("serve"), env=self.env(_CONDOR_SIM_PORT_RANGE="%d-%d" % (port, port)))
        self.assertFailed(result, 6)
        body = self.diagnostics()
        self.assertEqual((body["stage"], body["diagnosis"]), ("preflight", "port-bind-failure"))
        self.assertEqual(self.hub.of("/batchspawner"), [])

    def test_command_not_found(self):
        result = self.run_launcher(["--", "no-such-notebook-command-xyz", "--flag"])
        self.assertFailed(result, 127)
        body = self.diagnostics()
        self.assertEqual(body["diagnosis"], "module-missing")
        self.assertEqual(body["exitCode"], 127)
        self.assertIn("no-such-notebook-command-xyz", body["message"])

    def test_exit_after_the_grace_is_not_reported(self):
        env = self.env(CONDORHUB_EARLY_EXIT_S="0.3")
        result = self.run_launcher(self.notebook("sleep", 0.8, 5), env=env)
        self.assertFailed(result, 5)
        self.assertEqual(self.hub.of("/condorhub/launcher"), [])

    def test_a_failed_diagnostics_report_does_not_hang(self):
        self.hub.launcher_status = 503
        started = time.monotonic()
        result = self.run_launcher(self.notebook("fail", 9, "boom"))
        self.assertFailed(result, 9)
        self.assertEqual(len(self.hub.of("/condorhub/launcher")), 2)  # one retry, then give up
        self.assertLess(time.monotonic() - started, 30)
        self.assertIn(b"could not report exit failure", result.stderr)


class PortReportTest(LauncherCase):
    """The port is reported once the notebook listens; a failed report stops the notebook."""

    def serve_until_reported(self, env=None):
        proc = self.start_launcher(self.notebook("serve", 0), env=env)
        self.addCleanup(self.stop, proc)
        return proc

    def finish(self, proc):
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
        return proc.returncode, err

    def test_reports_only_once_the_notebook_listens(self):
        env = self.env(FAKE_NB_LISTEN_DELAY_S="1.0")
        proc = self.serve_until_reported(env)
        report = self.hub.wait_for("/batchspawner")
        state = self.notebook_state()
        self.assertTrue(state["ready"], "reported before the notebook listened")
        port = report["body"]["port"]
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            pass
        self.finish(proc)

    def test_reports_anyway_after_the_listen_wait(self):
        env = self.env(FAKE_NB_LISTEN_DELAY_S="30", CONDORHUB_LISTEN_WAIT_S="0.5")
        proc = self.serve_until_reported(env)
        self.hub.wait_for("/batchspawner", timeout=10)
        self.assertFalse(self.notebook_state()["ready"])
        _, err = self.finish(proc)
        self.assertIn(b"reporting it anyway", err)

    def test_retries_5xx_then_succeeds(self):
        self.hub.port_statuses = [503, 502, 200]
        proc = self.serve_until_reported()
        self.notebook_state(want=lambda s: s["ready"])
        deadline = time.monotonic() + 15
        while len(self.hub.of("/batchspawner")) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        reports = self.hub.of("/batchspawner")
        self.assertEqual(len(reports), 3)
        self.assertEqual(len({r["body"]["port"] for r in reports}), 1)
        code, _ = self.finish(proc)
        self.assertEqual(code, 0)  # stopped by our SIGTERM, not by the report

    def test_409_after_an_unclear_attempt_counts_as_reported(self):
        self.hub.port_statuses = [502, 409]
        proc = self.serve_until_reported()
        deadline = time.monotonic() + 15
        while len(self.hub.of("/batchspawner")) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        self.assertIsNone(proc.poll(), "the notebook keeps running")
        self.assertEqual(self.notebook_state()["signals"], [])
        self.finish(proc)

    def test_409_at_once_is_a_refusal_that_stops_the_notebook(self):
        self.hub.port_statuses = [409]
        result = self.run_launcher(self.notebook("serve", 0))
        self.assertFailed(result, 4)
        self.assertEqual(self.notebook_state()["signals"], [signal.SIGTERM])

    def test_4xx_stops_the_notebook(self):
        self.hub.port_statuses = [403]
        result = self.run_launcher(self.notebook("serve", 0))
        self.assertFailed(result, 4)
        self.assertEqual(len(self.hub.of("/batchspawner")), 1)
        self.assertIn(b"refused the port report", result.stderr)
        self.assertIn(b"403", result.stderr)
        self.assertEqual(self.notebook_state()["signals"], [signal.SIGTERM])
        self.assertEqual(self.hub.of("/condorhub/launcher"), [], "a refusal is not a notebook failure")

    def test_unreachable_hub_gives_up_after_the_attempts(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        dead = "http://127.0.0.1:%d/hub/api" % s.getsockname()[1]
        s.close()
        env = self.env(JUPYTERHUB_API_URL=dead, CONDORHUB_REPORT_ATTEMPTS="3")
        result = self.run_launcher(self.notebook("serve", 0), env=env)
        self.assertFailed(result, 5)
        self.assertEqual(result.stderr.count(b"/hub/api/batchspawner failed (attempt"), 3)
        self.assertEqual(self.notebook_state()["signals"], [signal.SIGTERM])

    def test_a_silent_hub_times_out(self):
        # Accepts the connection, never answers.
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        self.addCleanup(s.close)
        env = self.env(
            JUPYTERHUB_API_URL="http://127.0.0.1:%d/hub/api" % s.getsockname()[1],
            CONDORHUB_REPORT_TIMEOUT_S="0.5",
            CONDORHUB_REPORT_ATTEMPTS="2",
        )
        started = time.monotonic()
        result = self.run_launcher(self.notebook("serve", 0), env=env, timeout=30)
        self.assertFailed(result, 5)
        self.assertLess(time.monotonic() - started, 20)

    def test_a_notebook_that_exits_before_listening_is_diagnosed_not_reported(self):
        result = self.run_launcher(self.notebook("fail", 3, "boom"))
        self.assertFailed(result, 3)
        self.assertEqual(self.hub.of("/batchspawner"), [])
        self.assertEqual(len(self.hub.of("/condorhub/launcher")), 1)

    def test_missing_hub_env_is_a_usage_error(self):
        result = self.run_launcher(self.notebook("serve"), env=self.env(JUPYTERHUB_API_TOKEN=None))
        self.assertFailed(result, 2)
        self.assertIn(b"JUPYTERHUB_API_TOKEN", result.stderr)
        self.assertEqual(self.hub.requests, [])


class ScriptTest(unittest.TestCase):
    def test_is_executable_with_a_python3_shebang(self):
        from tests.helpers import LAUNCHER

        self.assertTrue(os.access(LAUNCHER, os.X_OK))
        with open(LAUNCHER) as f:
            self.assertEqual(f.readline().strip(), "#!/usr/bin/env python3")

    def test_compiles_on_the_system_python(self):
        # Workers run whatever python3 the node has; check the syntax with every one found.
        from tests.helpers import LAUNCHER

        for py in ("/usr/bin/python3", "/usr/bin/python3.6", "/usr/bin/python3.8"):
            if os.path.exists(py):
                subprocess.run([py, "-c", "import sys; compile(open(sys.argv[1]).read(), sys.argv[1], 'exec')", LAUNCHER], check=True, timeout=60)

    def test_grammar_is_python_3_6(self):
        # Best effort (ast checks grammar, not library calls): no f-strings, walrus, etc.
        import ast
        from tests.helpers import LAUNCHER

        with open(LAUNCHER) as f:
            source = f.read()
        ast.parse(source, LAUNCHER, feature_version=(3, 6))
        self.assertNotRegex(source, r"(?m)^[^#]*\bf\"")


if __name__ == "__main__":
    unittest.main()
