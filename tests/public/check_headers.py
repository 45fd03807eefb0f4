#!/usr/bin/python3
"""Every public header compiles on its own, as C11 and as C++, warning-free.

Usage: check_headers.py INCLUDE_SRC INCLUDE_BUILD CC CXX
"""
import os
import subprocess
import sys
import tempfile

src_inc, build_inc, cc, cxx = sys.argv[1:5]
headers = sorted(
    set(f for d in (src_inc, build_inc) if os.path.isdir(os.path.join(d, "mistral"))
        for f in os.listdir(os.path.join(d, "mistral")) if f.endswith(".h")))
flags = ["-Wall", "-Wextra", "-pedantic", "-Werror", "-fsyntax-only",
         "-I", src_inc, "-I", build_inc]
failed = passed = 0
with tempfile.TemporaryDirectory() as tmp:
    for h in headers:
        for lang, compiler, std, ext in (("C11", cc, "-std=c11", "c"), ("C++", cxx, "-std=c++11", "cpp")):
            path = os.path.join(tmp, "only_%s.%s" % (h.replace(".", "_"), ext))
            with open(path, "w") as f:
                # Twice: include guards must work too.
                f.write('#include <mistral/%s>\n#include <mistral/%s>\nint main(void) { return 0; }\n' % (h, h))
            r = subprocess.run([compiler, std] + flags + [path], capture_output=True, text=True)
            if r.returncode == 0:
                passed += 1
            else:
                failed += 1
                print("FAIL mistral/%s as %s:\n%s" % (h, lang, r.stderr))
if not headers:
    print("no headers found under", src_inc)
    failed += 1
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
