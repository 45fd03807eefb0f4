#!/usr/bin/python3
"""Validate the request bodies of recorded HTTP fixtures against the OpenAPI spec.

Usage:
    tools/check-fixtures.py [--spec PATH] [--fixtures DIR]

Defaults (relative to the repository root, i.e. the parent of tools/):
    --spec      ../shared/spec/mistral-openapi.yaml
    --fixtures  tests/fixtures

Every ``*.fixture`` under the fixtures directory (recursively) is parsed (see
tests/fixtures/README.md), its request line is matched to an operation of the
spec by method and path template (query string ignored), and its body is
validated against that operation's requestBody schema with a JSON Schema
Draft 2020-12 validator whose ``$ref``s resolve against the whole spec.

Per-fixture annotations, in the comment area before ``=== request``:
    # spec: skip <reason>   do not check this fixture at all (reason required)
    # spec: invalid         the operation must exist, but the body must NOT be
                            acceptable (schema error, missing/unexpected body);
                            for fixtures that test the 422 path on purpose

Output: ``ok  PATH  (operationId)`` or ``FAIL PATH: <where>: <message>`` per
fixture, then ``N passed, N failed``.  Exit status 1 when anything failed or
no fixture was found, 2 on usage / spec loading errors, 0 otherwise.

Only the Python standard library, python3-yaml and python3-jsonschema (4.10,
which still has RefResolver) are used.
"""

import argparse
import base64
import copy
import datetime
import email.parser
import email.policy
import json
import os
import re
import sys
import uuid

import jsonschema
import yaml

# ---------------------------------------------------------------------------
# Known slips of the upstream spec versus the real API.
#
# This is the ONLY place where the spec is corrected.  Keys are either
#   * a schema name under #/components/schemas ("ChatCompletionRequest"),
#     mapped to a function that receives that schema (a dict) and returns the
#     replacement (or None after patching it in place); or
#   * a JSON pointer into the spec document ("/components/schemas/X/required"),
#     mapped to the replacement value for that location.
# Every entry MUST carry a comment saying what the real API does, and where
# that was observed.  A key that no longer exists in the spec is an error, so
# entries cannot silently go stale when the spec is updated.
#
# Checked and deliberately NOT patched:
#   * ToolReferenceChunk lists "title" as required; the real API requires it
#     too, so this is not a slip.
# ---------------------------------------------------------------------------
SPEC_PATCHES = {
    # (none yet)
}

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


class FixtureError(Exception):
    """A fixture that cannot be checked (malformed, unknown operation...)."""


class BodyError(Exception):
    """The request body does not fit the operation (what `spec: invalid` wants)."""


# ---------------------------------------------------------------------------
# Formats.  Draft 2020-12 treats "format" as an annotation unless a checker is
# supplied; the real API (pydantic) does validate these, so check the ones that
# can be checked exactly with the standard library.  Formats not listed here
# ("binary", "password", "duration", ...) are annotations only.
# ---------------------------------------------------------------------------
FORMAT_CHECKER = jsonschema.FormatChecker(formats=())

_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$")


@FORMAT_CHECKER.checks("uuid", raises=ValueError)
def _check_uuid(value):
    if not isinstance(value, str):
        return True
    return bool(_UUID.match(value)) and uuid.UUID(value) is not None


@FORMAT_CHECKER.checks("date-time", raises=ValueError)
def _check_date_time(value):
    if not isinstance(value, str):
        return True
    if not _RFC3339.match(value):
        return False
    datetime.datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    return True


@FORMAT_CHECKER.checks("date", raises=ValueError)
def _check_date(value):
    if not isinstance(value, str):
        return True
    return bool(re.match(r"^\d{4}-\d{2}-\d{2}$", value)) and \
        datetime.date.fromisoformat(value) is not None


@FORMAT_CHECKER.checks("uri")
def _check_uri(value):
    return not isinstance(value, str) or bool(_URI.match(value))


@FORMAT_CHECKER.checks("int32")
def _check_int32(value):
    return not isinstance(value, int) or -2**31 <= value < 2**31


@FORMAT_CHECKER.checks("int64")
def _check_int64(value):
    return not isinstance(value, int) or -2**63 <= value < 2**63


@FORMAT_CHECKER.checks("byte", raises=ValueError)
def _check_byte(value):
    if not isinstance(value, str):
        return True
    base64.b64decode(value, validate=True)
    return True


# ---------------------------------------------------------------------------
# Spec loading and operation lookup
# ---------------------------------------------------------------------------
def _pointer_parts(pointer):
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]


def apply_patches(spec):
    for key, patch in SPEC_PATCHES.items():
        try:
            _apply_patch(spec, key, patch)
        except (KeyError, IndexError, ValueError, TypeError) as e:
            raise KeyError("SPEC_PATCHES entry %r does not apply (%s: %s)"
                           % (key, type(e).__name__, e))


def _apply_patch(spec, key, patch):
    if key.startswith("/"):
        parts = _pointer_parts(key)
        node = spec
        for part in parts[:-1]:
            node = node[int(part)] if isinstance(node, list) else node[part]
        last = parts[-1]
        if isinstance(node, list):
            last = int(last)
            node[last]  # must exist
        elif last not in node:
            raise KeyError(last)
        node[last] = copy.deepcopy(patch)
    else:
        schemas = spec["components"]["schemas"]
        result = patch(schemas[key])
        if result is not None:
            schemas[key] = result


class Operation:
    def __init__(self, method, template, op):
        self.method = method
        self.template = template          # as written in the spec, maybe with "#stream"
        self.op = op
        self.op_id = op.get("operationId", "%s %s" % (method.upper(), template))
        base = template.split("#", 1)[0]
        self.is_stream_variant = "#" in template
        segs = base.split("/")
        # Sort key: literal segments win over templated ones, left to right.
        self.rank = tuple(1 if "{" in s else 0 for s in segs)
        rx = "".join(
            re.sub(r"\\\{[^/]*?\\\}", "[^/]+", re.escape(s)) + "/" for s in segs)[:-1]
        self.regex = re.compile("^" + rx + "$")


class Spec:
    def __init__(self, path):
        with open(path, "rb") as f:
            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            self.doc = yaml.load(f, Loader=loader)
        apply_patches(self.doc)
        self.resolver = jsonschema.RefResolver("", self.doc)
        self.operations = []
        for template, item in (self.doc.get("paths") or {}).items():
            for method, op in item.items():
                if method in HTTP_METHODS and isinstance(op, dict):
                    self.operations.append(Operation(method, template, op))
        self._validators = {}

    def validator(self, schema):
        # Keyed by identity: schemas are nodes of self.doc and live as long.
        v = self._validators.get(id(schema))
        if v is None:
            v = jsonschema.Draft202012Validator(
                schema, resolver=self.resolver, format_checker=FORMAT_CHECKER)
            self._validators[id(schema)] = v
        return v

    def deref(self, schema):
        while isinstance(schema, dict) and list(schema) == ["$ref"]:
            _, schema = self.resolver.resolve(schema["$ref"])
        return schema

    def find(self, method, path, wants_stream):
        cands = [o for o in self.operations
                 if o.method == method.lower() and o.regex.match(path)]
        if not cands:
            return None
        best = min(o.rank for o in cands)
        cands = [o for o in cands if o.rank == best]
        # "/v1/conversations" and "/v1/conversations#stream" share method and
        # path; the body's "stream" flag tells which one the request is.
        pick = [o for o in cands if o.is_stream_variant == wants_stream]
        return (pick or cands)[0]


# ---------------------------------------------------------------------------
# Fixture parsing
# ---------------------------------------------------------------------------
class Fixture:
    def __init__(self, path):
        self.path = path
        with open(path, "rb") as f:
            text = f.read().decode("utf-8")
        lines = text.split("\n")
        i = 0
        self.comments = []
        while i < len(lines) and lines[i].rstrip("\r") != "=== request":
            line = lines[i].rstrip("\r")
            if line.startswith("#"):
                self.comments.append(line)
            elif line.startswith("%") or line.strip() == "":
                pass
            else:
                raise FixtureError("line %d: unexpected text before '=== request'" % (i + 1))
            i += 1
        if i == len(lines):
            raise FixtureError("no '=== request' section")
        i += 1
        if i == len(lines) or not lines[i].strip():
            raise FixtureError("'=== request' has no request line")
        parts = lines[i].rstrip("\r").split()
        if len(parts) != 2:
            raise FixtureError("bad request line %r" % lines[i].rstrip("\r"))
        self.method, target = parts
        self.path_only = target.split("?", 1)[0]
        i += 1
        self.headers = {}
        while i < len(lines) and lines[i].rstrip("\r") != "":
            line = lines[i].rstrip("\r")
            if line == "=== response":
                break
            name, sep, value = line.partition(":")
            if not sep:
                raise FixtureError("line %d: bad header line %r" % (i + 1, line))
            self.headers[name.strip().lower()] = value.strip()
            i += 1
        body = []
        if i < len(lines) and lines[i].rstrip("\r") == "":
            i += 1
            while i < len(lines) and lines[i].rstrip("\r") != "=== response":
                body.append(lines[i])
                i += 1
        if i == len(lines) or lines[i].rstrip("\r") != "=== response":
            raise FixtureError("no '=== response' section")
        self.body = "\n".join(body)

        self.skip = None
        self.expect_invalid = False
        for c in self.comments:
            m = re.match(r"^#\s*spec:\s*(\S*)\s*(.*)$", c)
            if not m:
                continue
            word, rest = m.group(1), m.group(2).strip()
            if word == "skip":
                if not rest:
                    raise FixtureError("'# spec: skip' needs a reason")
                self.skip = rest
            elif word == "invalid":
                self.expect_invalid = True
            else:
                raise FixtureError("unknown annotation %r" % c)
        if self.skip and self.expect_invalid:
            raise FixtureError("'# spec: skip' and '# spec: invalid' together")


# ---------------------------------------------------------------------------
# Error reporting
# ---------------------------------------------------------------------------
def json_path(parts):
    out = "$"
    for p in parts:
        if isinstance(p, int):
            out += "[%d]" % p
        elif re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", p):
            out += "." + p
        else:
            out += "[%s]" % json.dumps(p)
    return out


def _choose_branch(spec, err):
    """For a failed oneOf/anyOf, the branch the instance was meant for, or None."""
    branches = {}
    for e in err.context:
        branches.setdefault(e.relative_schema_path[0], []).append(e)
    subs = err.validator_value
    inst = err.instance
    disc = err.schema.get("discriminator") if isinstance(err.schema, dict) else None
    # The discriminator is ignored for validation, but it is the best hint at
    # which branch an error message should come from.
    if disc and isinstance(inst, dict) and disc.get("propertyName") in inst:
        value = inst[disc["propertyName"]]
        target = (disc.get("mapping") or {}).get(value) if isinstance(value, str) else None
        for idx, sub in enumerate(subs):
            ref = sub.get("$ref", "") if isinstance(sub, dict) else ""
            if ref and (ref == target or (target is None and ref.rsplit("/", 1)[-1] == value)):
                return branches.get(idx)
    # Drop branches of the wrong JSON type, then those whose constant
    # properties (role, type, ...) do not match.
    left = {k: v for k, v in branches.items()
            if not any(e.validator == "type" and not e.relative_path for e in v)}
    if len(left) > 1:
        left = {k: v for k, v in left.items()
                if not any(e.validator in ("const", "enum") and len(e.relative_path) == 1
                           for e in v)}
    if len(left) == 1:
        return next(iter(left.values()))
    return None


def describe(spec, err):
    while err.validator in ("oneOf", "anyOf") and err.context:
        branch = _choose_branch(spec, err)
        if not branch:
            break
        err = branch[0]
    msg = err.message
    if len(msg) > 300:
        msg = msg[:297] + "..."
    return "%s: %s" % (json_path(err.absolute_path), msg)


# ---------------------------------------------------------------------------
# Checking
# ---------------------------------------------------------------------------
def media_type(fx):
    ct = fx.headers.get("content-type", "")
    return ct.split(";", 1)[0].strip().lower(), ct


def parse_multipart(body, content_type):
    m = re.search(r'boundary="?([^";]+)"?', content_type)
    if m:
        boundary = m.group(1)
    else:
        first = body.lstrip("\r\n").split("\n", 1)[0].rstrip("\r")
        if not first.startswith("--"):
            raise BodyError("$: multipart body without a boundary")
        boundary = first[2:]
    raw = ("Content-Type: multipart/form-data; boundary=\"%s\"\r\n\r\n" % boundary
           + body).encode("utf-8")
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
    if not msg.is_multipart():
        raise BodyError("$: body is not multipart/form-data")
    fields = {}
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            raise BodyError("$: multipart part without a name")
        if part.get_param("filename", header="content-disposition") is not None:
            value = ("file", None)
        else:
            payload = part.get_payload(decode=True) or b""
            value = ("text", payload.decode("utf-8", "replace"))
        fields.setdefault(name, []).append(value)
    return fields


def multipart_object(spec, schema, fields):
    """Form fields are untyped text: give each the JSON value its schema wants."""
    props = spec.deref(schema).get("properties", {}) if isinstance(
        spec.deref(schema), dict) else {}
    obj = {}
    for name, values in fields.items():
        cands = []
        texts = [v for kind, v in values if kind == "text"]
        if any(kind == "file" for kind, _ in values):
            cands.append("<file>" if len(values) == 1 else ["<file>"] * len(values))
        elif len(texts) == 1:
            cands.append(texts[0])
            try:
                cands.append(json.loads(texts[0]))
            except ValueError:
                pass
            cands.append(texts)
        else:
            cands.append(texts)
        sub = props.get(name)
        chosen = cands[0]
        if sub is not None:
            v = spec.validator(sub)
            valid = [c for c in cands if v.is_valid(c)]
            if valid:
                chosen = valid[0]
            else:
                # None fits: keep the reading whose error lies deepest, so
                # ["sentence"] reports the bad enum item, not "not an array".
                chosen = max(cands, key=lambda c: len(next(v.iter_errors(c)).path))
        obj[name] = chosen
    return obj


def _reject_constant(name):
    raise ValueError("%s is not JSON" % name)


def check_body(spec, op, fx):
    """Raise BodyError when the body does not fit the operation."""
    rb = op.op.get("requestBody")
    body = fx.body
    has_body = body.strip() != ""
    if rb is None:
        if has_body:
            raise BodyError("$: operation takes no request body, fixture sends one")
        return None
    content = rb.get("content") or {}
    if not has_body:
        if rb.get("required"):
            raise BodyError("$: operation requires a request body, fixture sends none")
        return None
    mt, ct = media_type(fx)
    if not mt:
        mt = "application/json" if "application/json" in content else next(iter(content), "")
    if mt not in content:
        raise BodyError("$: content-type %s not accepted (spec: %s)"
                        % (mt, ", ".join(content) or "none"))
    schema = (content[mt] or {}).get("schema")
    if mt == "application/json" or mt.endswith("+json"):
        try:
            instance = json.loads(body, parse_constant=_reject_constant)
        except ValueError as e:
            raise BodyError("$: body is not valid JSON (%s)" % e)
    elif mt == "multipart/form-data":
        fields = parse_multipart(body, ct)
        instance = multipart_object(spec, schema or {}, fields) if schema else None
    else:
        return "%s body not checked" % mt
    if schema is None:
        return None
    v = spec.validator(schema)
    for err in v.iter_errors(instance):
        raise BodyError(describe(spec, err))
    return None


def wants_stream(fx):
    """Whether the body asks for streaming ("stream": true, JSON or form field)."""
    mt, ct = media_type(fx)
    if mt == "multipart/form-data":
        try:
            fields = parse_multipart(fx.body, ct)
        except (BodyError, ValueError):
            return False
        return [(v or "").strip().lower() for kind, v in fields.get("stream", [])] == ["true"]
    try:
        obj = json.loads(fx.body)
    except ValueError:
        return False
    return isinstance(obj, dict) and obj.get("stream") is True


def check_fixture(spec, path):
    """Return (ok, text) where text follows 'ok  PATH  ' or 'FAIL PATH: '."""
    try:
        fx = Fixture(path)
    except (FixtureError, UnicodeDecodeError, OSError) as e:
        return False, str(e)
    if fx.skip:
        return True, "(skipped: %s)" % fx.skip
    op = spec.find(fx.method, fx.path_only, wants_stream(fx))
    if op is None:
        return False, "%s %s: no such operation in the spec" % (fx.method, fx.path_only)
    try:
        note = check_body(spec, op, fx)
    except BodyError as e:
        if fx.expect_invalid:
            return True, "(%s)  invalid as expected: %s" % (op.op_id, e)
        return False, "%s" % e
    if fx.expect_invalid:
        return False, "body is valid for %s but the fixture says '# spec: invalid'" % op.op_id
    return True, "(%s)%s" % (op.op_id, "  [%s]" % note if note else "")


def display(path):
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


def main(argv=None):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(
        description="Validate tests/fixtures/**/*.fixture request bodies "
                    "against the Mistral OpenAPI spec.")
    ap.add_argument("--spec", default=os.path.join(root, "..", "shared", "spec",
                                                   "mistral-openapi.yaml"),
                    help="OpenAPI YAML (default: ../shared/spec/mistral-openapi.yaml "
                         "relative to the repo root)")
    ap.add_argument("--fixtures", default=os.path.join(root, "tests", "fixtures"),
                    help="directory searched recursively for *.fixture "
                         "(default: tests/fixtures)")
    args = ap.parse_args(argv)

    if not os.path.isdir(args.fixtures):
        print("fixtures directory %s does not exist" % args.fixtures)
        print("0 passed, 0 failed")
        return 1
    paths = []
    for dirpath, dirnames, filenames in os.walk(args.fixtures):
        dirnames.sort()
        paths.extend(os.path.join(dirpath, n) for n in filenames if n.endswith(".fixture"))
    paths.sort()
    if not paths:
        print("no *.fixture files found under %s" % args.fixtures)
        print("0 passed, 0 failed")
        return 1

    try:
        spec = Spec(args.spec)
    except (OSError, yaml.YAMLError, KeyError, IndexError, ValueError) as e:
        print("cannot load spec %s: %s" % (args.spec, e), file=sys.stderr)
        return 2

    passed = failed = 0
    for p in paths:
        ok, text = check_fixture(spec, p)
        if ok:
            passed += 1
            print("ok  %s  %s" % (display(p), text))
        else:
            failed += 1
            print("FAIL %s: %s" % (display(p), text))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
