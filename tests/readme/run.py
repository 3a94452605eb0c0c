#!/usr/bin/env python3
"""tests/readme/run.py BUILDDIR SRCDIR: README.md's walkthrough runs as written.

Every ```sh and ```console block of the "Walkthrough" section is run, in
order, in a scratch copy of examples/ and certs/ (step 1 rewrites
examples/release-baseline.yaml, which must not touch the checkout), with
BUILDDIR (driftctl, driftgate) first on PATH and helm/kubectl from
scripts/tools.sh after it, as the walkthrough's setup block says.

  ```sh       each block runs in one bash -e; it must succeed.
  ```console  each "$ command" (with its "\\"-continued lines) runs in one
              bash per block, so "cmd &" and "kill %1" work; what it prints
              (stdout and stderr) must be the lines shown under it. A line
              ending in "..." matches any line starting with what precedes
              it, and a line that is only "..." matches the rest. Exit status
              0 or 2 (drift found, denied) passes; 1 (an error) fails.

A block after "<!-- readme-test: setup -->" is not run (it builds and
fetches; the test gets both from ctest); "<!-- readme-test: cluster -->"
marks a block that needs a cluster: e2e/run.sh runs those. The walkthrough's
fixed ports (8443, 9090, 8080) are swapped for free ones, so the test can run beside
anything else.
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile

build, src = sys.argv[1], sys.argv[2]
checks = fails = 0


def fail(msg):
    global fails
    fails += 1
    print("FAIL: " + msg, file=sys.stderr)


def blocks(readme):
    """(kind, marker, text, line) for each fenced sh/console block of the walkthrough."""
    text = open(readme).read()
    start = text.index("\n## Walkthrough")
    end = text.index("\n## ", start + 1)
    section = text[start:end]
    first_line = text[:start].count("\n") + 1
    out = []
    for m in re.finditer(r"(?:<!-- readme-test: (\w+) -->\n)?```(sh|console)\n(.*?)```", section, re.S):
        out.append((m.group(2), m.group(1), m.group(3),
                    first_line + section[: m.start()].count("\n")))
    return out


def console_steps(body):
    """[(command, [expected lines])] of a console block."""
    steps, lines, i = [], body.rstrip("\n").split("\n"), 0
    while i < len(lines):
        if not lines[i].startswith("$ "):
            fail("console line outside a command: %r" % lines[i])
            i += 1
            continue
        cmd = [lines[i][2:]]
        while cmd[-1].endswith("\\") and i + 1 < len(lines):
            i += 1
            cmd.append(lines[i])
        i += 1
        want = []
        while i < len(lines) and not lines[i].startswith("$ "):
            want.append(lines[i])
            i += 1
        steps.append(("\n".join(cmd), want))
    return steps


def matches(want, got):
    for k, w in enumerate(want):
        if w == "...":
            return True
        if k >= len(got):
            return False
        if w.endswith("...") and got[k].startswith(w[:-3]):
            continue
        if w != got[k]:
            return False
    return len(got) == len(want)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_console(body, line, work, env, ports):
    global checks
    steps = console_steps(body)
    script = ["cd %s" % work]
    for n, (cmd, _) in enumerate(steps):
        for fixed, port in ports.items():
            cmd = cmd.replace("127.0.0.1:%d" % fixed, "127.0.0.1:%d" % port)
        if cmd.rstrip().endswith("&") and not cmd.rstrip().endswith("&&"):
            script.append(cmd)  # in the background; its output is its own business
            script.append("echo 0 > .rc.%d" % n)
        else:
            script.append("{ %s\n} > .out.%d 2>&1; echo $? > .rc.%d" % (cmd, n, n))
    script.append("kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; true")
    subprocess.run(["bash", "-c", "\n".join(script)], env=env, timeout=300)
    for n, (cmd, want) in enumerate(steps):
        checks += 1
        where = "README.md:%d: %s" % (line, cmd.split("\n")[0])
        try:
            rc = int(open(os.path.join(work, ".rc.%d" % n)).read())
        except (OSError, ValueError):
            fail("%s: did not run" % where)
            continue
        got_path = os.path.join(work, ".out.%d" % n)
        got = open(got_path).read().rstrip("\n").split("\n") if os.path.exists(got_path) else []
        got = [] if got == [""] else got
        if rc not in (0, 2):
            fail("%s: exit %d\n%s" % (where, rc, "\n".join(got)))
        elif not matches(want, got):
            fail("%s: printed\n%s\nwhere the README shows\n%s" % (where, "\n".join(got), "\n".join(want)))


def main():
    global checks
    tools = subprocess.run([os.path.join(src, "scripts/tools.sh")], capture_output=True, text=True)
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([os.path.abspath(build), tools.stdout.strip(), env["PATH"]])
    work = tempfile.mkdtemp()
    try:
        for d in ("examples", "certs"):
            shutil.copytree(os.path.join(src, d), os.path.join(work, d))
        found = blocks(os.path.join(src, "README.md"))
        checks += 1
        if len(found) < 5:
            fail("the walkthrough has %d shell blocks; expected its 6 steps" % len(found))
        for kind, marker, body, line in found:
            if marker == "setup":
                # what it promises: make build leaves both binaries in build/
                checks += 1
                if "make build" not in body or "$PWD/build" not in body or "scripts/tools.sh" not in body:
                    fail("README.md:%d: the setup block no longer builds and sets PATH" % line)
                continue
            if marker == "cluster":
                continue
            if kind == "sh":
                checks += 1
                r = subprocess.run(["bash", "-e", "-c", body], cwd=work, env=env,
                                   capture_output=True, text=True, timeout=300)
                if r.returncode != 0:
                    fail("README.md:%d: exit %d: %s%s" % (line, r.returncode, r.stdout, r.stderr))
            else:
                run_console(body, line, work, env,
                            {p: free_port() for p in (8443, 9090, 8080)})
        # Step 1 re-rendered the baseline: it must be the committed one.
        checks += 1
        if open(os.path.join(work, "examples/release-baseline.yaml")).read() != \
                open(os.path.join(src, "examples/release-baseline.yaml")).read():
            fail("step 1's render differs from examples/release-baseline.yaml")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("readme: %d checks, %d failed" % (checks, fails))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
