#!/usr/bin/env python3
"""tests/console/typed.py DRIFTCTL SRCDIR WORKDIR FAKEDIR: `driftctl console` in a
real pseudo-terminal, typed at as an operator types (Tab, the up arrow,
answering y/N), the screen read back. WORKDIR holds a copy of examples/;
FAKEDIR the stand-in kubectl (tests/fake-kubectl) set up with a published
baseline and the drifted live snapshot."""
import fcntl
import os
import pty
import re
import select
import struct
import sys
import termios
import time

CTL, SRC, WORK, FAKE = sys.argv[1:5]
# Cursor moves, modes and redraws libedit writes; what is left is the text.
ESCAPES = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>78]|\r|\x07")
failures = 0
checks = 0


def fail(msg):
    global failures
    failures += 1
    print("FAIL: " + msg, file=sys.stderr)


class Console:
    """One driftctl console on a pty of 200x50, like a wide terminal."""

    def __init__(self, args, cwd, env):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
            os.chdir(cwd)
            os.execve(CTL, [CTL, "console"] + args, env)
        self.raw = b""
        self.mark = 0  # what is before it was already matched

    def screen(self):
        return ESCAPES.sub("", self.raw.decode("utf-8", "replace")).replace("\b", "")

    def pump(self, seconds):
        ready, _, _ = select.select([self.fd], [], [], seconds)
        if not ready:
            return False
        try:
            data = os.read(self.fd, 65536)
        except OSError:  # the child is gone (EIO)
            return False
        self.raw += data
        return bool(data)

    def expect(self, text, name, timeout=30):
        """Wait until @text is on the screen after the last match."""
        global checks
        checks += 1
        end = time.time() + timeout
        while True:
            found = self.screen().find(text, self.mark)
            if found >= 0:
                self.mark = found + len(text)
                return True
            if time.time() > end or (not self.pump(0.2) and self.exited()):
                tail = self.screen()[self.mark:][-3000:]
                fail(f"{name}: '{text}' not on the screen. After the last match:\n{tail}")
                return False

    def type(self, keys):
        os.write(self.fd, keys.encode())
        time.sleep(0.15)  # as a person types: libedit redraws between keys

    def exited(self):
        if getattr(self, "status", None) is not None:
            return True
        pid, st = os.waitpid(self.pid, os.WNOHANG)
        if pid:
            self.status = os.waitstatus_to_exitcode(st)
        return pid != 0

    def wait(self, timeout=30):
        end = time.time() + timeout
        while not self.exited() and time.time() < end:
            self.pump(0.2)
        if not self.exited():
            os.kill(self.pid, 9)
            os.waitpid(self.pid, 0)
            return None
        return self.status


def check(ok, msg):
    global checks
    checks += 1
    if not ok:
        fail(msg)


def offline():
    env = dict(os.environ, TERM="xterm", HOME=WORK, SHELL="/bin/bash")
    c = Console(["--baseline", "release-baseline.yaml", "--live", "live-snapshot.yaml",
                 "-n", "sandbox-nginx"], WORK, env)
    c.expect("context: sandbox-nginx / test-nginx  workflow: helm-release-audit  "
             "state: variance-detected", "the banner's context line")
    c.expect("shell=bash cluster=offline audited=hpa,svc,deploy artifact=release-baseline.yaml",
             "the banner's evidence line")
    c.expect("driftctl> ", "the prompt")
    # Tab completes a partial command.
    c.type("di\t")
    c.expect("diff ", "Tab completes 'di' to diff")
    c.type("\r")
    for row in ("svc/test-nginx     spec.ports[name=http].port", "svc/test-nginx     spec.type",
                "deploy/test-nginx  spec.template.spec.containers[name=nginx].image",
                "hpa/test-nginx     spec.minReplicas"):
        c.expect(row, "diff shows " + row.split()[1])
    c.expect("4 active variances (3 deny, 1 warn, 0 audit)", "diff counts 4 variances")
    c.expect("driftctl> ", "the prompt after diff")
    # Tab completes an object name, then a governed path of that object.
    c.type("simulate hpa/te\t")
    c.expect("hpa/test-nginx ", "Tab completes the object hpa/test-nginx")
    c.type("--set spec.minRe\t")
    c.expect("spec.minReplicas=", "Tab completes the governed path spec.minReplicas")
    c.type("4\r")
    c.expect("Decision:  deny (403 Forbidden)", "minReplicas=4 is denied")
    c.expect("spec.minReplicas is governed by release sandbox-nginx/test-nginx (rule "
             "hpa-bounds): desired 6, requested 4.", "the gate's message")
    c.expect("driftctl> ", "the prompt after the denial")
    c.type("simulate hpa/test-nginx --set spec.minReplicas=6\r")
    c.expect("Decision:  reconcile (allowed)", "minReplicas=6 is a reconcile")
    c.expect("driftctl> ", "the prompt after the reconcile")
    # The up arrow recalls it; Enter runs it again.
    c.type("\x1b[A")
    c.expect("simulate hpa/test-nginx --set spec.minReplicas=6", "up recalls the last line")
    c.type("\r")
    c.expect("Decision:  reconcile (allowed)", "the recalled line runs again")
    c.expect("driftctl> ", "the prompt after the recalled line")
    c.type("help diff\r")
    c.expect("Usage: driftctl diff --baseline FILE --live FILE", "help diff")
    c.expect("driftctl> ", "the prompt after help")
    # Ctrl-C drops the line being typed, not the console.
    c.type("dif")
    c.type("\x03")
    c.expect("driftctl> ", "Ctrl-C gives a fresh prompt")
    c.type("help use\r")
    c.expect("switch the session to another release", "the console goes on after Ctrl-C")
    check("unknown command 'dif'" not in c.screen(), "the line Ctrl-C dropped was run")
    c.expect("driftctl> ", "the prompt after help use")
    c.type("exit\r")
    check(c.wait() == 0, f"exit: status {getattr(c, 'status', None)}, want 0")
    hist = open(os.path.join(WORK, ".driftctl_history")).read()
    # libedit's history file writes a space as \040.
    check("help\\040diff" in hist or "help diff" in hist,
          "the history file keeps the lines: " + hist)


def online():
    env = dict(os.environ, TERM="xterm", HOME=FAKE, SHELL="/bin/zsh",
               KUBECTL=os.path.join(FAKE, "bin", "kubectl"), FAKE_KUBECTL_DIR=FAKE)
    c = Console(["--release", "test-nginx", "-n", "sandbox-nginx"], FAKE, env)
    c.expect("state: variance-detected", "online: variance-detected")
    c.expect("shell=zsh cluster=fake-cluster audited=svc,deploy,hpa "
             "artifact=driftgate-baseline.sandbox-nginx.test-nginx", "online: the evidence line")
    c.expect("driftctl> ", "online: the prompt")
    c.type("reconcile\r")
    c.expect("? [y/N] ", "reconcile asks")
    c.type("n\r")
    c.expect("driftctl: nothing applied", "N declines")
    c.expect("driftctl> ", "online: the prompt after declining")
    check(not os.path.exists(os.path.join(FAKE, "calls")), "declined, yet kubectl was asked to change")
    c.type("\x1b[A\r")
    c.expect("3 operations (3 patch) restore 4 variances", "reconcile shows the plan")
    c.expect("? [y/N] ", "reconcile asks")
    c.type("y\r")
    c.expect("the drift is gone", "reconcile applies and verifies")
    c.expect("context: sandbox-nginx / test-nginx  workflow: helm-release-audit  state: in-sync",
             "the context line turns in-sync")
    c.expect("driftctl> ", "online: the prompt after reconcile")
    c.type("\x04")  # Ctrl-D
    check(c.wait() == 0, f"Ctrl-D: status {getattr(c, 'status', None)}, want 0")


offline()
online()
print(f"console (tty): {checks} checks, {failures} failed")
sys.exit(1 if failures else 0)
