"""Preflight: real full and read-only file systems, real user config files."""
import errno
import os
import pwd
import shutil
import stat
import subprocess
import time
import unittest

from tests.helpers import LAUNCHER, TOKEN, FAKE_NOTEBOOK, LauncherCase, mount_tmpfs, run_root


class PreflightCase(LauncherCase):
    def preflight_report(self, result, diagnosis):
        self.assertFailed(result, 3)
        reports = self.hub.of("/condorhub/launcher")
        self.assertEqual(len(reports), 1, reports)
        self.assertEqual(reports[0]["headers"]["Authorization"], "token " + TOKEN)
        body = reports[0]["body"]
        self.assertEqual(body["stage"], "preflight")
        self.assertEqual(body["diagnosis"], diagnosis, body)
        self.assertIsNone(body["exitCode"])
        self.assertEqual(body["stderrTail"], "")
        self.assertEqual(body["host"], "127.0.0.1")
        self.assertTrue(body["message"])
        # Reported at once: no port report, and Jupyter never started.
        self.assertEqual(self.hub.of("/batchspawner"), [])
        self.assertFalse(os.path.exists(self.state_file), "the notebook must not start after a preflight failure")
        return body

    def started(self, result):
        self.assertFailed(result, 0)
        self.assertTrue(os.path.exists(self.state_file), "the notebook should have started")
        # The stand-in exits at once, before it listens: no port report, but an early-exit
        # report; never a preflight failure.
        self.assertEqual(self.hub.of("/batchspawner"), [])
        self.assertEqual([r["body"]["stage"] for r in self.hub.of("/condorhub/launcher")], ["exit"])

    def reset(self):
        with self.hub.cond:
            del self.hub.requests[:]
        if os.path.exists(self.state_file):
            os.unlink(self.state_file)

    def write(self, relpath, text):
        path = os.path.join(self.home, relpath)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        return path


class WritableTest(PreflightCase):
    def test_healthy_home_creates_the_runtime_dir_and_leaves_nothing_behind(self):
        result = self.run_launcher(self.notebook("fail", 0))
        self.started(result)
        runtime = os.path.join(self.home, ".local", "share", "jupyter", "runtime")
        self.assertTrue(os.path.isdir(runtime))
        self.assertEqual(os.listdir(runtime), [])
        self.assertEqual(os.listdir(self.home), [".local"])

    def test_full_home_is_over_quota(self):
        mount_tmpfs(self, self.home, "64k")
        filler = os.path.join(self.home, "filler")
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
        try:
            while True:
                os.write(fd, b"x" * 4096)
        except OSError as exc:
            self.assertEqual(exc.errno, errno.ENOSPC)
        finally:
            os.close(fd)
        started = time.monotonic()
        body = self.preflight_report(self.run_launcher(self.notebook("fail", 0)), "home-over-quota")
        self.assertLess(time.monotonic() - started, 10)
        self.assertIn("ENOSPC", body["detail"])
        self.assertIn("full", body["message"])
        self.assertEqual(sorted(os.listdir(self.home)), ["filler"])

    def test_read_only_home(self):
        mount_tmpfs(self, self.home)
        ok, out = run_root(["mount", "-o", "remount,ro", self.home])
        if not ok:
            self.skipTest("cannot remount a tmpfs read-only here: %s" % out.strip())
        body = self.preflight_report(self.run_launcher(self.notebook("fail", 0)), "home-not-writable")
        self.assertIn("EROFS", body["detail"])

    def test_read_only_runtime_dir(self):
        rt = os.path.join(self.tmp, "runtime")
        os.mkdir(rt)
        mount_tmpfs(self, rt)
        ok, out = run_root(["mount", "-o", "remount,ro", rt])
        if not ok:
            self.skipTest("cannot remount a tmpfs read-only here: %s" % out.strip())
        env = self.env(JUPYTER_RUNTIME_DIR=rt)
        body = self.preflight_report(self.run_launcher(self.notebook("fail", 0), env=env), "runtime-dir-not-writable")
        self.assertIn(rt, body["message"])
        # A missing runtime dir under a read-only parent is the same failure.
        self.reset()
        env = self.env(JUPYTER_RUNTIME_DIR=os.path.join(rt, "jupyter", "runtime"))
        self.preflight_report(self.run_launcher(self.notebook("fail", 0), env=env), "runtime-dir-not-writable")

    def test_missing_home(self):
        env = self.env(HOME=os.path.join(self.tmp, "gone"))
        body = self.preflight_report(self.run_launcher(self.notebook("fail", 0), env=env), "home-not-writable")
        self.assertIn("does not exist", body["message"])

    def test_home_not_writable_for_a_normal_user(self):
        # chmod means nothing to root, so the launcher runs as `nobody` here.
        python = "/usr/bin/python3"
        if os.geteuid() != 0 or not shutil.which("runuser") or not os.path.exists(python):
            self.skipTest("needs root, runuser and /usr/bin/python3 to run the launcher as another user")
        try:
            nobody = pwd.getpwnam("nobody")
        except KeyError:
            self.skipTest("no user 'nobody' to run as")
        os.chmod(self.tmp, 0o755)
        os.chown(self.home, nobody.pw_uid, nobody.pw_gid)
        os.chmod(self.home, 0o500)
        probe = subprocess.run(["runuser", "-u", "nobody", "--", python, "-c", "print(1)"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
        if probe.returncode != 0:
            self.skipTest("runuser -u nobody does not work here: %s" % probe.stdout.decode(errors="replace"))
        if not os.access(LAUNCHER, os.R_OK) or subprocess.run(
            ["runuser", "-u", "nobody", "--", "test", "-r", LAUNCHER], timeout=30
        ).returncode != 0:
            self.skipTest("nobody cannot read %s" % LAUNCHER)
        result = self.run_launcher(
            ["--", python, FAKE_NOTEBOOK, "fail", "0"], python=python,
            prefix=["runuser", "-u", "nobody", "--", "env", "HOME=" + self.home],
        )
        body = self.preflight_report(result, "home-not-writable")
        self.assertIn("EACCES", body["detail"])


class UserConfigTest(PreflightCase):
    def test_listen_override_is_fatal(self):
        path = self.write(".jupyter/jupyter_notebook_config.py", "c = get_config()\nc.NotebookApp.port = 9999\n")
        body = self.preflight_report(self.run_launcher(self.notebook("fail", 0)), "user-jupyter-config")
        self.assertIn(path, body["message"])
        self.assertIn("sets c.NotebookApp.port", body["message"])
        self.assertIn("fixed port", body["message"])

    def test_listen_override_in_json_is_fatal(self):
        path = self.write(".jupyter/jupyter_server_config.json", '{"ServerApp": {"ip": "0.0.0.0"}}')
        body = self.preflight_report(self.run_launcher(self.notebook("fail", 0)), "user-jupyter-config")
        self.assertIn("%s sets ServerApp.ip" % path, body["message"])

    def test_base_url_certificate_and_required_password_are_fatal(self):
        cases = [
            ("jupyter_server_config.py", "c.ServerApp.base_url = '/mine/'\n", "c.ServerApp.base_url", "URL path"),
            ("jupyter_server_config.json", '{"ServerApp": {"certfile": "/home/u/c.pem"}}', "ServerApp.certfile", "HTTPS"),
            ("jupyter_server_config.py", "c.PasswordIdentityProvider.password_required = True\n",
             "c.PasswordIdentityProvider.password_required", "password"),
        ]
        for name, text, setting, why in cases:
            with self.subTest(setting=setting):
                path = self.write(".jupyter/" + name, text)
                body = self.preflight_report(self.run_launcher(self.notebook("fail", 0)), "user-jupyter-config")
                self.assertIn("%s sets %s" % (path, setting), body["message"])
                self.assertIn(why, body["message"])
                os.unlink(path)
                self.reset()

    def test_the_config_file_is_read_never_run(self):
        marker = os.path.join(self.home, "ran")
        self.write(
            ".jupyter/jupyter_server_config.py",
            "open(%r, 'w').close()\nc.ServerApp.port = 9999\n" % marker,
        )
        self.preflight_report(self.run_launcher(self.notebook("fail", 0)), "user-jupyter-config")
        self.assertFalse(os.path.exists(marker))

    def test_harmless_settings_start_the_notebook(self):
        self.write(
            ".jupyter/jupyter_server_config.py",
            "c.ServerApp.open_browser = True\nc.ServerApp.allow_origin = '*'\n"
            "c.PasswordIdentityProvider.password_required = False\nc.ServerApp.root_dir = '/tmp'\n",
        )
        self.write(".jupyter/jupyter_notebook_config.json", '{"NotebookApp": {"open_browser": false}}')
        result = self.run_launcher(self.notebook("fail", 0))
        self.started(result)
        # open_browser=True is only noise: a note in the job's log, never a failure, even strict.
        self.assertIn(b"sets c.ServerApp.open_browser", result.stderr)
        self.reset()
        self.started(self.run_launcher(self.notebook("fail", 0), env=self.env(CONDORHUB_USER_CONFIG_CHECK="strict")))

    def test_commented_override_is_fine(self):
        self.write(".jupyter/jupyter_notebook_config.py", "# c.NotebookApp.port = 9999\nc.NotebookApp.open_browser = False\n")
        self.started(self.run_launcher(self.notebook("fail", 0)))

    def test_user_config_ignored_when_the_hub_disables_it(self):
        self.write(".jupyter/jupyter_notebook_config.py", "c.NotebookApp.port = 9999\n")
        self.started(self.run_launcher(self.notebook("fail", 0), env=self.env(JUPYTERHUB_DISABLE_USER_CONFIG="1")))
        self.reset()
        self.started(self.run_launcher(self.notebook("fail", 0), env=self.env(CONDORHUB_USER_CONFIG_CHECK="off")))

    def test_broken_config_warns_then_explains_a_generic_exit(self):
        self.write(".jupyter/jupyter_server_config.py", "c.ServerApp.root_dir = (\n")
        result = self.run_launcher(self.notebook("fail", 0))
        self.started(result)
        self.assertIn(b"does not compile", result.stderr)
        # The same config, and the notebook dies without a recognisable cause.
        self.reset()
        result = self.run_launcher(self.notebook("fail", 1, "something odd"))
        self.assertFailed(result, 1)
        body = self.hub.wait_for("/condorhub/launcher")["body"]
        self.assertEqual((body["stage"], body["diagnosis"]), ("exit", "bad-user-config"))
        self.assertIn("jupyter_server_config.py", body["detail"])
        self.assertIn("something odd", body["stderrTail"])

    def test_missing_pythonhome_is_fatal(self):
        # -E: the launcher's own interpreter must ignore the broken PYTHONHOME to check it.
        env = self.env(PYTHONHOME=os.path.join(self.tmp, "no-python"))
        result = subprocess.run(
            [self.notebook()[0], "-E", LAUNCHER] + self.notebook("fail", 0)[0:1] + ["-E", FAKE_NOTEBOOK, "fail", "0"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            timeout=60,
        )
        body = self.preflight_report(result, "bad-user-config")
        self.assertIn("PYTHONHOME", body["message"])

    def test_missing_pythonpath_warns_and_is_fatal_when_strict(self):
        env = self.env(PYTHONPATH=os.path.join(self.tmp, "nope"))
        result = self.run_launcher(self.notebook("fail", 0), env=env)
        self.started(result)
        self.assertIn(b"warning: PYTHONPATH entry", result.stderr)
        self.reset()
        env["CONDORHUB_USER_CONFIG_CHECK"] = "strict"
        body = self.preflight_report(self.run_launcher(self.notebook("fail", 0), env=env), "bad-user-config")
        self.assertIn("PYTHONPATH", body["message"])

    def test_user_site_shadowing_warns(self):
        site = os.path.join(self.home, ".local", "lib", "python3.9", "site-packages")
        os.makedirs(os.path.join(site, "notebook"))
        os.makedirs(os.path.join(site, "requests"))
        result = self.run_launcher(self.notebook("fail", 0))
        self.started(result)
        self.assertIn(b"has its own notebook, which shadow", result.stderr)
        self.reset()
        result = self.run_launcher(self.notebook("fail", 0), env=self.env(PYTHONNOUSERSITE="1"))
        self.started(result)
        self.assertNotIn(b"shadow", result.stderr)


class HangTest(PreflightCase):
    def test_a_hanging_home_is_reported_within_the_deadline(self):
        # Opening a FIFO with no writer blocks like a read on a dead NFS mount.
        os.makedirs(os.path.join(self.home, ".jupyter"))
        fifo = os.path.join(self.home, ".jupyter", "jupyter_notebook_config.py")
        os.mkfifo(fifo)
        self.assertTrue(stat.S_ISFIFO(os.stat(fifo).st_mode))
        started = time.monotonic()
        result = self.run_launcher(self.notebook("fail", 0), env=self.env(CONDORHUB_PREFLIGHT_TIMEOUT_S="1"), timeout=30)
        self.assertLess(time.monotonic() - started, 15)
        self.preflight_report(result, "node-unresponsive")


if __name__ == "__main__":
    unittest.main()
