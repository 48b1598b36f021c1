"""A tiny suite for launcher.unit.spec.ts: checks it reads unittest's passes and skips right."""
import unittest


class Sample(unittest.TestCase):
    def test_passes(self):
        self.assertTrue(True)

    def test_skips(self):
        self.skipTest("not here")

    @unittest.skip("never")
    def test_skipped_by_decorator(self):
        pass
