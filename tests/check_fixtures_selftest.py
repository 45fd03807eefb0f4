"""Self-test for tools/check-fixtures.py.

Run from the repository root:
    /usr/bin/python3 -m unittest tests/check_fixtures_selftest.py

Writes throw-away fixtures into a temporary directory, runs the checker on
them in a subprocess and asserts the per-fixture verdicts, the summary line
and the exit status.  The spec is the default one (../shared/spec relative to
the repository root) unless MISTRAL_OPENAPI_SPEC names another file.
"""

import os
import re
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "tools", "check-fixtures.py")
SPEC = os.environ.get("MISTRAL_OPENAPI_SPEC") or os.path.join(
    ROOT, "..", "shared", "spec", "mistral-openapi.yaml")


def fixture(request_line, body="", comments="", headers=None):
    if headers is None:
        headers = ["content-type: application/json"] if body else []
    head = [request_line] + headers + ["authorization: Bearer {{API_KEY}}"]
    return (comments + "=== request\n" + "\n".join(head) + "\n\n" + body + "\n"
            "=== response\nHTTP/1.1 200 OK\ncontent-type: application/json\n\n{}\n")


CHAT = "POST /v1/chat/completions"
MESSAGES = '"messages": [{"role": "user", "content": "Hello"}]'

FIXTURES = {
    # name (relative to the fixtures dir): (file text, expected verdict)
    "chat/valid.fixture": (fixture(
        CHAT,
        '{"model": "mistral-small-latest",\n'
        ' "messages": [{"role": "system", "content": "Be brief."},\n'
        '              {"role": "user", "content": [{"type": "text", "text": "Hi"}]}],\n'
        ' "temperature": 0.2, "max_tokens": 64, "tool_choice": "auto",\n'
        ' "tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}]}',
        comments="# plain chat completion\n% close\n"), "ok"),
    "chat/stream.fixture": (fixture(
        CHAT, '{"model": "m", %s, "stream": true}' % MESSAGES), "ok"),
    "chat/unknown-field.fixture": (fixture(
        CHAT, '{"model": "m", %s, "foo": 1}' % MESSAGES), "FAIL"),
    "chat/bad-tool-choice.fixture": (fixture(
        CHAT, '{"model": "m", %s, "tool_choice": "sometimes"}' % MESSAGES), "FAIL"),
    "chat/bad-message.fixture": (fixture(
        CHAT, '{"model": "m", "messages": [{"role": "user", "content": "x", "bar": 2}]}'),
        "FAIL"),
    "chat/no-body.fixture": (fixture(CHAT), "FAIL"),
    "models/get-encoded.fixture": (fixture(
        "GET /v1/models/ft%3Aopen-mistral-7b%3A587a6b29%3A20240514%3A7e773925?x=1",
        headers=["accept: application/json"]), "ok"),
    "models/get-with-body.fixture": (fixture(
        "GET /v1/models/abc", '{"a": 1}'), "FAIL"),
    "deep/er/invalid-ok.fixture": (fixture(
        CHAT, '{"model": "m"}',
        comments="# server answers 422\n# spec: invalid\n"), "ok"),
    "invalid-but-valid.fixture": (fixture(
        CHAT, '{"model": "m", %s}' % MESSAGES, comments="# spec: invalid\n"), "FAIL"),
    "unknown-path.fixture": (fixture("POST /v1/no/such/thing", '{"x": 1}'), "FAIL"),
    "skipped.fixture": (fixture(
        "POST /v1/no/such/thing", '{"x": 1}',
        comments="# spec: skip exercises the 404 path\n"), "ok"),
    "conversations/stream.fixture": (fixture(
        "POST /v1/conversations", '{"model": "m", "inputs": "hi", "stream": true}'), "ok"),
    "not-a-fixture.txt": ("garbage", None),
}

LINE = re.compile(r"^(ok  (?P<okpath>\S+)  (?P<rest>.*)|FAIL (?P<failpath>\S+): (?P<msg>.*))$")


def run(*args):
    cmd = [sys.executable, SCRIPT]
    if os.environ.get("MISTRAL_OPENAPI_SPEC"):
        cmd += ["--spec", SPEC]
    return subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=300)


@unittest.skipUnless(os.path.isfile(SPEC), "spec not found at %s" % SPEC)
class CheckFixturesTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        for name, (text, _) in FIXTURES.items():
            path = os.path.join(cls.tmp.name, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
        cls.proc = run("--fixtures", cls.tmp.name)
        cls.lines = cls.proc.stdout.splitlines()
        cls.verdicts = {}
        for line in cls.lines[:-1]:
            m = LINE.match(line)
            assert m, "unexpected output line %r\n%s" % (line, cls.proc.stdout)
            path = m.group("okpath") or m.group("failpath")
            rel = os.path.relpath(os.path.abspath(path), cls.tmp.name)
            cls.verdicts[rel] = ("ok", m.group("rest")) if m.group("okpath") else \
                ("FAIL", m.group("msg"))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def verdict(self, name):
        self.assertIn(name, self.verdicts, self.proc.stdout + self.proc.stderr)
        return self.verdicts[name]

    def test_every_fixture_has_its_expected_verdict(self):
        for name, (_, expected) in FIXTURES.items():
            if expected is None:
                continue
            with self.subTest(name=name):
                self.assertEqual(self.verdict(name)[0], expected, self.proc.stdout)

    def test_only_fixture_files_are_checked(self):
        self.assertNotIn("not-a-fixture.txt", self.verdicts)
        self.assertEqual(len(self.verdicts),
                         sum(1 for _, e in FIXTURES.values() if e is not None))

    def test_summary_and_exit_status(self):
        n_ok = sum(1 for _, e in FIXTURES.values() if e == "ok")
        n_fail = sum(1 for _, e in FIXTURES.values() if e == "FAIL")
        self.assertEqual(self.lines[-1], "%d passed, %d failed" % (n_ok, n_fail))
        self.assertEqual(self.proc.returncode, 1)

    def test_operation_ids(self):
        self.assertEqual(self.verdict("chat/valid.fixture")[1],
                         "(chat_completion_v1_chat_completions_post)")
        self.assertEqual(self.verdict("models/get-encoded.fixture")[1],
                         "(retrieve_model_v1_models__model_id__get)")
        # "stream": true picks the "/v1/conversations#stream" operation
        self.assertEqual(self.verdict("conversations/stream.fixture")[1],
                         "(agents_api_v1_conversations_start_stream)")
        self.assertIn("skipped: exercises the 404 path", self.verdict("skipped.fixture")[1])

    def test_failure_messages_point_into_the_body(self):
        msg = self.verdict("chat/unknown-field.fixture")[1]
        self.assertTrue(msg.startswith("$: "), msg)
        self.assertIn("'foo' was unexpected", msg)
        msg = self.verdict("chat/bad-tool-choice.fixture")[1]
        self.assertTrue(msg.startswith("$.tool_choice: "), msg)
        self.assertIn("'sometimes'", msg)
        msg = self.verdict("chat/bad-message.fixture")[1]
        self.assertTrue(msg.startswith("$.messages[0]: "), msg)
        self.assertIn("'bar' was unexpected", msg)
        self.assertIn("requires a request body", self.verdict("chat/no-body.fixture")[1])
        self.assertIn("no request body", self.verdict("models/get-with-body.fixture")[1])
        self.assertIn("no such operation", self.verdict("unknown-path.fixture")[1])
        self.assertIn("spec: invalid", self.verdict("invalid-but-valid.fixture")[1])
        self.assertIn("'messages' is a required property",
                      self.verdict("deep/er/invalid-ok.fixture")[1])

    def test_all_good_exits_zero(self):
        with tempfile.TemporaryDirectory() as d:
            for name in ("chat/valid.fixture", "models/get-encoded.fixture",
                         "skipped.fixture"):
                path = os.path.join(d, os.path.basename(name))
                with open(path, "w", encoding="utf-8") as f:
                    f.write(FIXTURES[name][0])
            proc = run("--fixtures", d)
            self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
            self.assertEqual(proc.stdout.splitlines()[-1], "3 passed, 0 failed")

    def test_no_fixtures_is_an_error(self):
        with tempfile.TemporaryDirectory() as d:
            proc = run("--fixtures", d)
            self.assertEqual(proc.returncode, 1)
            self.assertIn("no *.fixture files found", proc.stdout)
            self.assertEqual(proc.stdout.splitlines()[-1], "0 passed, 0 failed")


if __name__ == "__main__":
    unittest.main()
