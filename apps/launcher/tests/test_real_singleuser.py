"""The launcher with the real jupyterhub-singleuser (Debian's `jupyterhub` package), when present."""
import json
import os
import shutil
import signal
import subprocess
import time
import unittest
import urllib.request

from tests.helpers import LAUNCHER, LauncherCase

SINGLEUSER = shutil.which("jupyterhub-singleuser", path="/usr/bin:/usr/local/bin")
PYTHON = "/usr/bin/python3"


@unittest.skipUnless(SINGLEUSER and os.path.exists(PYTHON), "jupyterhub-singleuser is not installed")
class RealSingleuserTest(LauncherCase):
    def launch(self, *args, env_extra=None):
        env = self.env(
            PATH="/usr/bin:/bin",
            JUPYTERHUB_CLIENT_ID="jupyterhub-user-alice",
            JUPYTERHUB_OAUTH_CALLBACK_URL="/user/alice/oauth_callback",
            JUPYTERHUB_BASE_URL="/",
            JUPYTERHUB_ACTIVITY_URL=self.hub.api_url + "/users/alice/activity",
            CONDORHUB_BIND_HOST=None,
            _CONDOR_MACHINE_AD=self.ad,
            **(env_extra or {})
        )
        proc = subprocess.Popen(
            [PYTHON, LAUNCHER] + list(args),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        self.addCleanup(self.stop, proc)
        return proc

    def setUp(self):
        LauncherCase.setUp(self)
        self.ad = os.path.join(self.tmp, "machine.ad")
        with open(self.ad, "w") as f:
            f.write('Machine = "127.0.0.4"\n')

    def test_serves_on_the_reported_port_and_stops_on_sigterm(self):
        # Root in CI: the notebook refuses root without --allow-root (passed to the default command).
        args = ["--allow-root"] if os.geteuid() == 0 else []
        proc = self.launch(*args)
        port = self.hub.wait_for("/batchspawner", timeout=30)["body"]["port"]
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen("http://127.0.0.4:%d/user/alice/api" % port, timeout=5) as r:
                    self.assertIn("version", json.loads(r.read().decode()))
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    self.fail("the notebook never answered on 127.0.0.4:%d" % port)
                time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 0, err.decode(errors="replace"))
        self.assertEqual(self.hub.of("/condorhub/launcher"), [])

    def test_a_certificate_in_the_users_config_is_named_when_the_notebook_fails(self):
        # The preflight check is off, so only the notebook's own stderr can tell.
        conf = os.path.join(self.home, ".jupyter")
        os.makedirs(conf, exist_ok=True)
        with open(os.path.join(conf, "jupyter_notebook_config.py"), "w") as f:
            f.write("c.NotebookApp.certfile = '/nonexistent/cert.pem'\n")
        with open(os.path.join(conf, "jupyter_server_config.py"), "w") as f:
            f.write("c.ServerApp.certfile = '/nonexistent/cert.pem'\n")
        args = ["--allow-root"] if os.geteuid() == 0 else []
        proc = self.launch(*args, env_extra={"CONDORHUB_USER_CONFIG_CHECK": "off"})
        _out, err = proc.communicate(timeout=60)
        self.assertNotEqual(proc.returncode, 0, err.decode(errors="replace"))
        body = self.hub.wait_for("/condorhub/launcher")["body"]
        self.assertEqual((body["stage"], body["diagnosis"]), ("exit", "user-jupyter-config"), body)
        self.assertIn("certfile", body["message"])
        self.assertIn("HTTPS", body["message"])
        self.assertIn("does not exist", body["stderrTail"])

    @unittest.skipUnless(os.geteuid() == 0, "only root meets the refusal")
    def test_refusal_to_run_as_root_is_reported(self):
        proc = self.launch()
        _out, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 1, err.decode(errors="replace"))
        body = self.hub.wait_for("/condorhub/launcher")["body"]
        self.assertEqual((body["stage"], body["diagnosis"], body["exitCode"]), ("exit", "notebook-exited", 1))
        self.assertIn("root", body["message"])
        self.assertIn("Running as root is not recommended", body["stderrTail"])


if __name__ == "__main__":
    unittest.main()
