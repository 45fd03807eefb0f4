#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Seed corpora for the decoder fuzz targets, from the recorded fixtures.

    /usr/bin/python3 tools/fuzz-seeds.py [--check]

Reads every tests/fixtures/**/*.fixture (format: tests/fixtures/README.md)
and writes the response bodies, byte for byte, to fuzz/corpus/<target>/:

  stream      2xx text/event-stream bodies (whole streams)
  chunk       the data of each event of those streams (not [DONE])
  chat        2xx JSON bodies of /v1/chat, /v1/fim and /v1/agents completions
  models      2xx bodies of /v1/models... and /v1/fine_tuning/models...
  embeddings  2xx bodies of /v1/embeddings
  errors      bodies of 4xx/5xx answers, after one byte that picks the
              status fuzz_errors uses (400, 401, 422, 429, 500: the closest
              to the recorded one) and its request-id headers

Generated seeds are named fixture-<dir>-<name>[-N].<ext>; each run replaces
them all (so a fixture removed loses its seed) and leaves every other file
alone (regression seeds of crashes found: regress-*). Identical bodies are
written once. --check writes nothing and exits 1 when the corpora differ from
what the fixtures give (for a maintainer, or CI, to notice stale seeds).
"""
import os
import re
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
FIXTURES = os.path.join(ROOT, "tests", "fixtures")
CORPUS = os.path.join(ROOT, "fuzz", "corpus")
TARGETS = ("stream", "chunk", "chat", "models", "embeddings", "errors")
PREFIX = "fixture-"
MAX_SEED = 64 * 1024  # libFuzzer works best on small inputs


def parse_fixture(data):
    """(method, path, status, headers dict, body) of a fixture, or None when
    it has no response (a % hang fixture) or cannot be read."""
    req = data.find(b"=== request\n")
    resp = data.find(b"\n=== response\n")
    if req < 0 or resp < 0:
        return None
    request_line = data[req + len(b"=== request\n"):].split(b"\n", 1)[0].decode("utf-8", "replace")
    parts = request_line.split()
    if len(parts) < 2:
        return None
    method, path = parts[0], parts[1].split("?", 1)[0]
    rest = data[resp + len(b"\n=== response\n"):]
    head, sep, body = rest.partition(b"\n\n")
    if not sep:
        head, body = rest, b""
    lines = head.split(b"\n")
    m = re.match(rb"HTTP/\d(?:\.\d)? (\d{3})", lines[0])
    if not m:
        return None
    status = int(m.group(1))
    headers = {}
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if colon:
            headers[name.strip().lower().decode("ascii", "replace")] = value.strip().decode(
                "utf-8", "replace")
    if body.endswith(b"\n"):
        body = body[:-1]  # the file's trailing newline is not part of the body
    return method, path, status, headers, body


def sse_data(body):
    """The data of each event of an SSE body (CRLF, CR and LF line ends)."""
    events, data, has_data = [], [], False
    for line in re.split(rb"\r\n|\r|\n", body):
        if line == b"":
            if has_data:
                events.append(b"\n".join(data))
            data, has_data = [], False
        elif line.startswith(b"data:"):
            value = line[5:]
            if value.startswith(b" "):
                value = value[1:]
            data.append(value)
            has_data = True
    if has_data:
        events.append(b"\n".join(data))
    return events


def error_seed(status, headers, body):
    index = {400: 0, 401: 1, 422: 2, 429: 3}.get(status, 4 if status >= 500 else 0)
    flags = (0x80 if "x-request-id" in headers else 0) | (
        0x40 if "mistral-correlation-id" in headers else 0)
    first = flags + (index - flags) % 5  # first % 5 == index, flags kept
    return bytes([first]) + body


def seeds():
    """{target: {file name: bytes}} from every fixture."""
    out = {t: {} for t in TARGETS}
    seen = {t: set() for t in TARGETS}

    def add(target, name, ext, content):
        if not content or len(content) > MAX_SEED or content in seen[target]:
            return
        seen[target].add(content)
        base = PREFIX + name
        fname, n = base + ext, 1
        while fname in out[target]:
            n += 1
            fname = "%s-%d%s" % (base, n, ext)
        out[target][fname] = content

    for dirpath, dirnames, filenames in os.walk(FIXTURES):
        dirnames.sort()
        for f in sorted(filenames):
            if not f.endswith(".fixture") or f.startswith("."):
                continue
            with open(os.path.join(dirpath, f), "rb") as fh:
                fx = parse_fixture(fh.read())
            if fx is None:
                continue
            method, path, status, headers, body = fx
            rel = os.path.relpath(os.path.join(dirpath, f[:-len(".fixture")]), FIXTURES)
            name = re.sub(r"[^A-Za-z0-9_.-]+", "-", rel)
            ctype = headers.get("content-type", "")
            if status >= 400:
                add("errors", name, ".bin", error_seed(status, headers, body))
            elif status < 200 or status >= 300:
                continue
            elif "text/event-stream" in ctype:
                add("stream", name, ".sse", body)
                for i, ev in enumerate(sse_data(body)):
                    if ev != b"[DONE]":
                        add("chunk", "%s-event%d" % (name, i), ".json", ev)
            elif re.match(r"/v1/(chat|fim|agents)/completions$", path):
                add("chat", name, ".json", body)
            elif re.match(r"/v1/(fine_tuning/)?models(/|$)", path):
                add("models", name, ".json", body)
            elif path == "/v1/embeddings":
                add("embeddings", name, ".json", body)
    return out


def main(argv):
    check = "--check" in argv[1:]
    unknown = [a for a in argv[1:] if a != "--check"]
    if unknown:
        sys.stderr.write("usage: fuzz-seeds.py [--check]\n")
        return 2
    stale = 0
    for target, files in seeds().items():
        d = os.path.join(CORPUS, target)
        old = {f for f in os.listdir(d) if f.startswith(PREFIX)} if os.path.isdir(d) else set()
        for f in sorted(old - set(files)):
            stale += 1
            if check:
                print("fuzz-seeds: stale %s/%s" % (target, f))
            else:
                os.remove(os.path.join(d, f))
        for f, content in sorted(files.items()):
            path = os.path.join(d, f)
            current = None
            if os.path.exists(path):
                with open(path, "rb") as fh:
                    current = fh.read()
            if current == content:
                continue
            stale += 1
            if check:
                print("fuzz-seeds: %s %s/%s" % ("outdated" if current else "missing", target, f))
                continue
            os.makedirs(d, exist_ok=True)
            with open(path, "wb") as fh:
                fh.write(content)
        if not check:
            print("fuzz-seeds: %-10s %3d seeds" % (target, len(files)))
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
