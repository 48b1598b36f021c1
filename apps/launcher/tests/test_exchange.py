"""The one-time launcher credential: traded for the API token before anything else."""
import os

from tests.helpers import BOOTSTRAP, EXCHANGED_TOKEN, LauncherCase

EXIT_NO_TOKEN = 7


class ExchangeTests(LauncherCase):
    def bootstrap_env(self, **extra):
        return self.env(JUPYTERHUB_API_TOKEN=None, CONDORHUB_LAUNCHER_BOOTSTRAP=BOOTSTRAP, **extra)

    def test_exchanges_once_then_uses_the_token_and_gives_it_only_to_the_notebook(self):
        proc = self.start_launcher(["--"] + self.notebook("serve", 0), env=self.bootstrap_env())
        self.addCleanup(self.stop, proc)
        report = self.hub.wait_for("/batchspawner")
        exchange = self.hub.of("/api-token")
        self.assertEqual(len(exchange), 1)
        self.assertEqual(exchange[0]["path"], "/hub/api/condorhub/launcher/api-token")
        self.assertEqual(exchange[0]["body"]["bootstrap"], BOOTSTRAP)
        self.assertRegex(exchange[0]["body"]["launcherKey"], r"^[0-9a-f]{64}$")
        self.assertNotIn("Authorization", exchange[0]["headers"])
        # The port report carries the exchanged token.
        self.assertEqual(report["headers"]["Authorization"], "token " + EXCHANGED_TOKEN)
        state = self.notebook_state(want=lambda s: s["ready"])
        self.assertEqual(state["env"]["JUPYTERHUB_API_TOKEN"], EXCHANGED_TOKEN)
        self.assertEqual(state["env"]["JPY_API_TOKEN"], EXCHANGED_TOKEN)
        self.assertNotIn("CONDORHUB_LAUNCHER_BOOTSTRAP", state["env"])
        # Nothing written to disk in the sandbox or home.
        for root in (self.home, os.getcwd()):
            for dirpath, _dirs, files in os.walk(root):
                for name in files:
                    path = os.path.join(dirpath, name)
                    try:
                        with open(path, "rb") as f:
                            self.assertNotIn(EXCHANGED_TOKEN.encode(), f.read(1 << 20), path)
                    except OSError:
                        pass
                break

    def test_sends_from_the_address_the_notebook_listens_on(self):
        proc = self.start_launcher(["--"] + self.notebook("serve", 0), env=self.bootstrap_env(CONDORHUB_BIND_HOST="127.0.0.2"))
        self.addCleanup(self.stop, proc)
        self.hub.wait_for("/batchspawner")
        self.assertEqual(self.hub.of("/api-token")[0]["client"], "127.0.0.2")

    def test_a_refused_exchange_starts_nothing(self):
        self.hub.exchange_statuses = [409]
        result = self.run_launcher(["--"] + self.notebook("serve", 0), env=self.bootstrap_env())
        self.assertFailed(result, EXIT_NO_TOKEN)
        self.assertIn(b"refused the launcher credential", result.stderr)
        self.assertEqual(len(self.hub.of("/api-token")), 1)  # a 4xx is final
        self.assertEqual(self.hub.of("/batchspawner"), [])
        self.assertFalse(os.path.exists(self.state_file))

    def test_retries_while_the_job_is_not_known_to_run_with_the_same_key(self):
        self.hub.exchange_statuses = [503, 503, 200]
        proc = self.start_launcher(["--"] + self.notebook("serve", 0), env=self.bootstrap_env())
        self.addCleanup(self.stop, proc)
        self.hub.wait_for("/batchspawner")
        keys = [r["body"]["launcherKey"] for r in self.hub.of("/api-token")]
        self.assertEqual(len(keys), 3)
        self.assertEqual(len(set(keys)), 1)

    def test_neither_credential_is_a_usage_error(self):
        result = self.run_launcher(["--"] + self.notebook("serve", 0), env=self.env(JUPYTERHUB_API_TOKEN=None))
        self.assertFailed(result, 2)
        self.assertIn(b"CONDORHUB_LAUNCHER_BOOTSTRAP", result.stderr)
