"""The launcher's pure parts, in process."""
import os
import shutil
import socket
import tempfile
import unittest

import condorhub_launcher as L


class CommandTest(unittest.TestCase):
    def test_default_command(self):
        self.assertEqual(L.parse_command([], {}), ["jupyterhub-singleuser"])

    def test_explicit_command_after_separator(self):
        self.assertEqual(L.parse_command(["--", "jupyter", "lab"], {}), ["jupyter", "lab"])
        self.assertEqual(L.parse_command(["my-nb", "--x"], {"CONDORHUB_NOTEBOOK_CMD": "other"}), ["my-nb", "--x"])

    def test_env_command_and_leading_options(self):
        env = {"CONDORHUB_NOTEBOOK_CMD": "batch-nb --flag 'a b'"}
        self.assertEqual(L.parse_command([], env), ["batch-nb", "--flag", "a b"])
        self.assertEqual(L.parse_command(["--debug"], {}), ["jupyterhub-singleuser", "--debug"])
        self.assertEqual(L.parse_command(["--", "--debug"], env), ["batch-nb", "--flag", "a b", "--debug"])

    def test_bad_numbers_are_usage_errors(self):
        env = {"JUPYTERHUB_API_URL": "http://h/hub/api", "JUPYTERHUB_API_TOKEN": "t", "CONDORHUB_EARLY_EXIT_S": "soon"}
        with self.assertRaisesRegex(L.UsageError, "CONDORHUB_EARLY_EXIT_S"):
            L.Config([], env)
        with self.assertRaisesRegex(L.UsageError, "JUPYTERHUB_API_TOKEN"):
            L.Config([], {"JUPYTERHUB_API_URL": "http://h/hub/api"})


class AddressTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def ad(self, text):
        path = os.path.join(self.tmp, "machine.ad")
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_machine_attribute_from_ad(self):
        path = self.ad('MyType = "Machine"\nName = "slot1@x"\nMACHINE = "127.0.0.3"\nCpus = 1\n')
        self.assertEqual(L.machine_from_ad(path), "127.0.0.3")
        self.assertIsNone(L.machine_from_ad(self.ad("Cpus = 4\n")))
        self.assertIsNone(L.machine_from_ad(os.path.join(self.tmp, "missing")))

    def test_bind_address_prefers_override_then_ad_then_hostname(self):
        ad = self.ad('Machine = "127.0.0.2"\n')
        self.assertEqual(L.bind_address({"_CONDOR_MACHINE_AD": ad})[:2], (socket.AF_INET, "127.0.0.2"))
        env = {"_CONDOR_MACHINE_AD": ad, "CONDORHUB_BIND_HOST": "127.0.0.5"}
        self.assertEqual(L.bind_address(env)[:2], (socket.AF_INET, "127.0.0.5"))
        unresolvable = self.ad('Machine = "no-such-host.invalid"\n')
        self.assertEqual(L.bind_address({"_CONDOR_MACHINE_AD": unresolvable})[2].split()[0], "host")
        with self.assertRaises(L.UsageError):
            L.bind_address({"CONDORHUB_BIND_HOST": "no-such-host.invalid"})

    def test_loopback_name_with_a_remote_hub_uses_the_route_to_the_hub(self):
        ad = self.ad('Machine = "127.0.1.1"\n')
        local = {"_CONDOR_MACHINE_AD": ad, "JUPYTERHUB_API_URL": "http://127.0.0.1:8081/hub/api"}
        self.assertEqual(L.bind_address(local)[1], "127.0.1.1")
        remote_url = "http://192.0.2.10:8081/hub/api"
        routed = L.route_to(remote_url)
        if routed is None:
            self.skipTest("no route to a non-loopback address on this machine")
        remote = {"_CONDOR_MACHINE_AD": ad, "JUPYTERHUB_API_URL": remote_url}
        self.assertEqual(L.bind_address(remote), routed + ("route to the hub",))
        # An explicit override is obeyed even if it is loopback.
        remote["CONDORHUB_BIND_HOST"] = "127.0.0.1"
        self.assertEqual(L.bind_address(remote)[1], "127.0.0.1")

    def test_service_url_keeps_everything_but_netloc(self):
        self.assertEqual(
            L.service_url_with("http://0.0.0.0:0/user/alice/", "127.0.0.2", 4321), "http://127.0.0.2:4321/user/alice/"
        )
        self.assertEqual(
            L.service_url_with("https://0.0.0.0:0/user/b%40c/work/?x=1", "::1", 80), "https://[::1]:80/user/b%40c/work/?x=1"
        )

    def test_port_range(self):
        self.assertIsNone(L.parse_port_range({}))
        self.assertEqual(L.parse_port_range({"_CONDOR_SIM_PORT_RANGE": "42010-42019"}), (42010, 42019))
        env = {"_CONDOR_SIM_PORT_RANGE": "42010-42019", "CONDORHUB_PORT_RANGE": "5000 - 5001"}
        self.assertEqual(L.parse_port_range(env), (5000, 5001))
        for bad in ("5000", "6000-5000", "0-10", "a-b"):
            with self.assertRaises(L.UsageError):
                L.parse_port_range({"CONDORHUB_PORT_RANGE": bad})

    def test_free_port_in_a_range_skips_taken_ports(self):
        taken = socket.socket()
        taken.bind(("127.0.0.2", 0))
        taken.listen(1)
        self.addCleanup(taken.close)
        low = taken.getsockname()[1]
        other = socket.socket()
        try:
            other.bind(("127.0.0.2", low + 1))
        except OSError:
            self.skipTest("port %d is busy" % (low + 1))
        other.close()
        for _ in range(5):
            self.assertEqual(L.free_port(socket.AF_INET, "127.0.0.2", (low, low + 1)), low + 1)
        with self.assertRaises(OSError):
            L.free_port(socket.AF_INET, "127.0.0.2", (low, low))

    def test_free_port_is_bindable(self):
        port = L.free_port(socket.AF_INET, "127.0.0.2")
        s = socket.socket()
        s.bind(("127.0.0.2", port))
        s.close()


class RuntimeDirTest(unittest.TestCase):
    def test_as_jupyter_core(self):
        self.assertEqual(L.runtime_dir({"JUPYTER_RUNTIME_DIR": "/r"}, "/h"), "/r")
        self.assertEqual(L.runtime_dir({"JUPYTER_DATA_DIR": "/d"}, "/h"), "/d/runtime")
        self.assertEqual(L.runtime_dir({"XDG_DATA_HOME": "/x"}, "/h"), "/x/jupyter/runtime")
        self.assertEqual(L.runtime_dir({"XDG_RUNTIME_DIR": "/run/user/1"}, "/h"), "/h/.local/share/jupyter/runtime")


class DiagnoseTest(unittest.TestCase):
    def diag(self, text, home="/home/alice", warnings=()):
        return L.diagnose_exit(text, 1, home, list(warnings)).diagnosis

    def test_patterns(self):
        self.assertEqual(self.diag("OSError: [Errno 28] No space left on device"), "home-over-quota")
        self.assertEqual(self.diag("OSError: [Errno 122] Disk quota exceeded: '/home/a/x'"), "home-over-quota")
        self.assertEqual(self.diag("OSError: [Errno 30] Read-only file system: '/home/a'"), "home-not-writable")
        self.assertEqual(self.diag("OSError: [Errno 98] Address already in use"), "port-bind-failure")
        self.assertEqual(self.diag("ERROR | The port 8888 is already in use, trying another port."), "port-bind-failure")
        self.assertEqual(self.diag("ModuleNotFoundError: No module named 'jupyterhub'"), "module-missing")
        self.assertEqual(self.diag("ImportError: cannot import name 'x'"), "module-missing")
        self.assertEqual(self.diag("bash: jupyterhub-singleuser: command not found"), "module-missing")
        self.assertEqual(self.diag("[E] Exception while loading config file /h/.jupyter/x.py"), "bad-user-config")
        self.assertEqual(self.diag("Segmentation fault"), "notebook-exited")

    def test_permission_denied_counts_only_inside_home(self):
        text = "PermissionError: [Errno 13] Permission denied: '/home/alice/.local/share/jupyter/runtime'"
        self.assertEqual(self.diag(text), "home-not-writable")
        self.assertEqual(self.diag("PermissionError: [Errno 13] Permission denied: '/etc/shadow'"), "notebook-exited")

    def test_warnings_explain_an_otherwise_unexplained_exit(self):
        self.assertEqual(self.diag("boom", warnings=["PYTHONPATH entry /x does not exist"]), "bad-user-config")
        self.assertEqual(self.diag("ModuleNotFoundError", warnings=["w"]), "module-missing")

    def test_quota_wins_over_consequences(self):
        text = "OSError: [Errno 28] No space left on device\nImportError: cannot import name"
        self.assertEqual(self.diag(text), "home-over-quota")

    def test_a_setting_named_in_stderr_is_user_jupyter_config(self):
        text = (
            "[I ServerApp] Loaded config file: /home/alice/.jupyter/jupyter_server_config.py\n"
            "traitlets.traitlets.TraitError: The 'port' trait of a ServerApp instance expected an int, not the str 'x'"
        )
        failure = L.diagnose_exit(text, 1, "/home/alice", [])
        self.assertEqual(failure.diagnosis, "user-jupyter-config")
        self.assertIn("/home/alice/.jupyter/jupyter_server_config.py sets ServerApp.port", failure.message)
        self.assertEqual(self.diag("ssl.SSLError: [SSL] PEM lib: ctx.load_cert_chain(certfile)"), "user-jupyter-config")
        self.assertEqual(self.diag("[W] c.NotebookApp.base_url is deprecated"), "user-jupyter-config")
        # tornado, when a configured certificate is missing (seen with notebook 6.4 / JupyterHub 3).
        failure = L.diagnose_exit('ValueError: keyfile "/home/alice/k.pem" does not exist', 1, "/home/alice", [])
        self.assertEqual(failure.diagnosis, "user-jupyter-config")
        self.assertIn("ServerApp.keyfile", failure.message)
        # A full disk is still the cause when it comes first.
        self.assertEqual(self.diag("OSError: [Errno 122] Disk quota exceeded\nServerApp.port"), "home-over-quota")

    def test_earlier_quota_lines_lead_the_tail(self):
        data = "".join("line %d\n" % i for i in range(1000)).encode()
        tail = L.tail_text(data, notable=["OSError: [Errno 28] No space left on device", "line 999"])
        lines = tail.splitlines()
        self.assertEqual(lines[0], "[earlier] OSError: [Errno 28] No space left on device")
        self.assertEqual(len(lines), L.TAIL_LINES + 1, "a line still in the tail is not repeated")
        self.assertEqual(self.diag(tail), "home-over-quota")

    def test_tail_is_bounded(self):
        data = "".join("line %d\n" % i for i in range(1000)).encode()
        tail = L.tail_text(data)
        self.assertEqual(len(tail.splitlines()), L.TAIL_LINES)
        self.assertTrue(tail.endswith("line 999"))
        big = (b"x" * 100000) + b"\nend"
        self.assertLessEqual(len(L.tail_text(big)), L.TAIL_BYTES)
        self.assertEqual(L.tail_text(b"\xff\xfe bad utf8\n"), "\ufffd\ufffd bad utf8")

    def test_tail_redacts_the_token(self):
        self.assertEqual(L.tail_text(b"JUPYTERHUB_API_TOKEN=s3cret x\n", secret="s3cret"), "JUPYTERHUB_API_TOKEN=<redacted> x")


if __name__ == "__main__":
    unittest.main()
