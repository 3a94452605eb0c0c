#!/usr/bin/env python3
"""The web console in a real headless Chromium (Debian's chromium and
chromium-driver, driven by selenium): `driftctl console --web` on the
example files, as an operator uses it. Screenshots of each state go to
BUILD/screenshots/ for review.

With DRIFTGATE, driftgate's console listener too: the same page, read
only (no apply control), honest that it reads no live state here.

Usage: tests/console-web/run.py DRIFTCTL SRCDIR BUILDDIR [DRIFTGATE]
       tests/console-web/run.py apply URL RELEASE SHOTDIR
The second form is e2e's: on a running `driftctl console --web` against a
real cluster, confirm the reconcile in the page and see the state turn
in-sync.
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

if sys.argv[1] != "apply":
    CTL, SRC, BUILD = (os.path.abspath(a) for a in sys.argv[1:4])
    GATE = os.path.abspath(sys.argv[4]) if len(sys.argv) > 4 else None
    SHOTS = os.path.join(BUILD, "screenshots")
failures = []


def check(cond, what):
    print(("ok    " if cond else "FAIL  ") + what, flush=True)
    if not cond:
        failures.append(what)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(port, *extra):
    ex = os.path.join(SRC, "examples")
    args = [CTL, "console", "--web", "--listen", f"127.0.0.1:{port}", *(extra or (
            "--baseline", os.path.join(ex, "release-baseline.yaml"),
            "--live", os.path.join(ex, "live-snapshot.yaml"),
            "-n", "sandbox-nginx", "--policy", os.path.join(ex, "policy.yaml")))]
    proc = subprocess.Popen(args, stderr=subprocess.PIPE, text=True)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    sys.exit("driftctl console --web did not listen: " + proc.stderr.read())


def http(base, path, method="GET", body=None, headers=None):
    req = urllib.request.Request(base + path, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def check_http(base):
    """Headers, caching and hostile requests, before any browser."""
    st, hd, body = http(base, "/console/")
    check(st == 200 and hd["Content-Type"].startswith("text/html"), "GET /console/ is HTML")
    csp = hd.get("Content-Security-Policy", "")
    check("default-src 'self'" in csp and "unsafe-inline" not in csp, "CSP: self only, no inline")
    check(hd.get("X-Content-Type-Options") == "nosniff", "X-Content-Type-Options: nosniff")
    check(b"@DG_CSRF@" not in body and b'name="dg-csrf" content="' in body, "index carries a token")
    check(b"<script>" not in body and b"style=" not in body, "no inline script or style")
    for path, ctype in [("/console/app.js", "text/javascript"), ("/console/console.css", "text/css")]:
        st, hd, _ = http(base, path)
        etag = hd.get("ETag")
        check(st == 200 and hd["Content-Type"].startswith(ctype) and etag, f"{path}: {ctype}, ETag")
        st, _, _ = http(base, path, headers={"If-None-Match": etag})
        check(st == 304, f"{path}: 304 for its ETag")
    st, _, _ = http(base, "/api/v1/context", headers={"Host": "evil.example"})
    check(st == 421, "a foreign Host is refused (DNS rebinding)")
    js = {"Content-Type": "application/json"}
    st, _, _ = http(base, "/api/v1/reconcile", "POST", b"{}", js)
    check(st == 403, "reconcile without the token is refused")
    st, _, _ = http(base, "/api/v1/simulate", "POST", b"{}", {**js, "Origin": "http://evil.example"})
    check(st == 403, "a cross-origin POST is refused")
    st, _, _ = http(base, "/api/v1/simulate", "POST", b"object=x",
                    {"Content-Type": "application/x-www-form-urlencoded"})
    check(st == 415, "a form POST is refused (415)")
    st, _, b = http(base, "/api/v1/simulate", "POST", b"{not json", js)
    check(st == 400 and b"request body" in b, "malformed JSON: 400 naming the body")
    st, _, _ = http(base, "/api/v1/simulate", "POST", b"[" * 1000 + b"]" * 1000, js)
    check(st == 400, "JSON nested past the depth limit: 400")
    st, _, _ = http(base, "/api/v1/simulate", "POST", b" " * (128 << 10) + b"{}", js)
    check(st == 413, "a body over 64 KiB: 413")
    st, _, b = http(base, "/api/v1/simulate", "POST",
                    json.dumps({"object": "hpa/nope", "path": "spec.minReplicas", "value": 1}).encode(), js)
    check(st == 404 and b"nope" in b, "an unknown object: 404 with a message")
    st, _, b = http(base, "/api/v1/simulate", "POST",
                    json.dumps({"object": "hpa/test-nginx", "from": "baseline", "path": "spec.minReplicas",
                                "value": 4}).encode(), js)
    rv = json.loads(b)["admissionReview"]
    check(rv["kind"] == "AdmissionReview" and rv["response"]["allowed"] is False, "API: the AdmissionReview")
    # From live, a value live already holds is replayed on the baseline's
    # object, as `driftctl simulate --set spec.minReplicas=4` does: denied.
    st, _, b = http(base, "/api/v1/simulate", "POST",
                    json.dumps({"object": "hpa/test-nginx", "from": "live", "path": "spec.minReplicas",
                                "value": 4}).encode(), js)
    sim = json.loads(b)
    check(st == 200 and sim["decision"]["decision"] == "deny" and sim["replayed"] is True
          and "already holds this change" in sim["note"], "API: live's value replayed, as the CLI does")
    for a in ("baseline", "live", "sarif", "bundle"):
        st, hd, b = http(base, "/api/v1/assets/" + a)
        check(st == 200 and len(b) > 100 and "attachment" in hd.get("Content-Disposition", ""),
              f"asset {a} downloads")


def browser():
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=1280,1100", "--hide-scrollbars"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)


def shot(d, name):
    """A full-page screenshot: the window grown to the page's height."""
    w = d.execute_script("return window.innerWidth")
    hgt = d.execute_script("return document.documentElement.scrollHeight")
    d.set_window_size(w if w > 900 else 800, min(hgt + 140, 4000))
    time.sleep(0.3)
    d.save_screenshot(os.path.join(SHOTS, name + ".png"))


def tid(d, name):
    return d.find_element(By.CSS_SELECTOR, f'[data-testid="{name}"]')


def tids(d, name):
    return d.find_elements(By.CSS_SELECTOR, f'[data-testid="{name}"]')


def simulate(d, wait, value, frm):
    Select(tid(d, "sim-object")).select_by_value("hpa/test-nginx")
    Select(tid(d, "sim-from")).select_by_value(frm)
    for name, text in (("sim-path", "spec.minReplicas"), ("sim-value", str(value))):
        el = tid(d, name)
        el.clear()
        el.send_keys(text)
    before = tid(d, "sim-verdict").text
    tid(d, "sim-run").click()
    wait.until(lambda _: tid(d, "sim-verdict").text and tid(d, "sim-verdict").text != before
               or tid(d, "sim-message").text)
    time.sleep(0.2)
    return tid(d, "sim-verdict").text, tid(d, "sim-message").text


def scenario(d, base):
    wait = WebDriverWait(d, 15)
    d.get(base + "/console/")
    wait.until(lambda _: len(tids(d, "variance-row")) > 0)
    check("4 active variances" in tid(d, "variance-count").text, "4 variances: " + tid(d, "variance-count").text)
    check(len(tids(d, "variance-row")) == 4, "4 rows in the governed drift table")
    ctx = tid(d, "context").text
    check(ctx == "context: sandbox-nginx / test-nginx  workflow: helm-release-audit  state: variance-detected",
          "context line, as driftctl console prints it: " + ctx)
    check(tid(d, "context").text == json.loads(http(base, "/api/v1/context")[2])["lines"][0],
          "the page shows the API's context line")
    check(tid(d, "state").text == "variance-detected", "state badge variance-detected")
    shot(d, "01-overview")

    # Focus another row first, then the HPA floor: by keyboard.
    rows = tids(d, "variance-row")
    rows[0].click()
    check(tid(d, "focus-path").text != "spec.minReplicas", "focus follows the selected row")
    hpa = [r for r in tids(d, "variance-row") if r.get_attribute("data-target") == "hpa/test-nginx"][0]
    hpa.send_keys(Keys.ENTER)
    check(tid(d, "focus-path").text == "spec.minReplicas", "HPA row focuses spec.minReplicas")
    check(tid(d, "focus-desired").text == "6" and tid(d, "focus-live").text == "4",
          f"desired 6, live 4 (got {tid(d, 'focus-desired').text}, {tid(d, 'focus-live').text})")
    check("HPA floor" in d.find_element(By.ID, "focus-name").text, "named the HPA floor")
    check("kubectl" in d.find_element(By.ID, "focus-who").text, "who changed it: " +
          d.find_element(By.ID, "focus-who").text)
    shot(d, "02-focus-hpa")

    verdict, msg = simulate(d, wait, 4, "baseline")
    check(verdict == "deny", "simulating minReplicas 4 is denied: " + verdict)
    check("spec.minReplicas" in msg and "6" in msg and "4" in msg, "with the webhook's message: " + msg)
    shot(d, "03-simulate-deny")
    verdict, msg = simulate(d, wait, 6, "live")
    check(verdict == "reconcile", "simulating minReplicas 6 from live is a reconcile: " + verdict)
    shot(d, "04-simulate-reconcile")

    steps = tids(d, "timeline-step")
    check(len(steps) == 3, "three timeline steps")
    scrub = tid(d, "timeline-scrubber")
    seen = []
    for i in range(3):
        d.execute_script("arguments[0].value = arguments[1];"
                         "arguments[0].dispatchEvent(new Event('input'))", scrub, str(i))
        seen.append(d.find_element(By.ID, "tl-events").get_attribute("data-stage"))
        check(steps[i].get_attribute("aria-selected") == "true", f"scrubber at {i} selects step {i}")
    check(seen == ["baseline-render", "out-of-band-mutation", "controlled-reconcile"],
          "the scrubber goes through the three stages: " + ",".join(seen))
    steps[1].click()
    steps[1].send_keys(Keys.ARROW_RIGHT)
    check(scrub.get_attribute("value") == "2", "arrow keys move along the steps")
    check("minReplicas" in d.find_element(By.ID, "tl-events").text, "the reconcile stage shows the HPA")
    shot(d, "05-timeline-reconcile")

    ops = tids(d, "plan-op")
    hpa_ops = [o for o in ops if o.get_attribute("data-target") == "HorizontalPodAutoscaler/test-nginx"]
    check(len(hpa_ops) == 1 and "/spec/minReplicas" in hpa_ops[0].text and "reconcile" in hpa_ops[0].text,
          "the plan patches the HPA, judged reconcile")
    btn = tid(d, "reconcile-apply")
    check(not btn.is_enabled(), "offline: apply is disabled (files cannot be reconciled)")

    # 800 px: still usable, nothing wider than the window.
    d.set_window_size(800, 1000)
    time.sleep(0.3)
    over = d.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    check(over <= 0, f"at 800 px nothing overflows sideways ({over}px)")
    check(tid(d, "sim-run").is_displayed(), "at 800 px the simulator is there")
    tid(d, "variance-row").click()
    shot(d, "06-narrow-800")

    d.execute_cdp_cmd("Emulation.setEmulatedMedia",
                      {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    d.set_window_size(1280, 1100)
    shot(d, "07-dark")

    logs = [e for e in d.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
    for e in logs:
        print("browser:", e["level"], e["message"])
    check(not logs, "no JavaScript errors or CSP violations in the browser log")


def wait_port(port, proc, what):
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    proc.kill()
    sys.exit(what + " did not listen: " + proc.stderr.read())


def start_gate(tmp, port):
    """driftgate with the example baseline as driftctl publishes it, and no cluster."""
    ex = os.path.join(SRC, "examples")
    os.makedirs(os.path.join(tmp, "baselines"))
    with open(os.path.join(tmp, "baselines", "test-nginx.yaml"), "w") as f:
        subprocess.run([CTL, "publish", "--baseline", os.path.join(ex, "release-baseline.yaml"),
                        "--release", "test-nginx", "-n", "sandbox-nginx"], stdout=f, check=True)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-days", "1",
                    "-keyout", os.path.join(tmp, "tls.key"), "-out", os.path.join(tmp, "tls.crt")],
                   check=True, capture_output=True)
    proc = subprocess.Popen([GATE, "--listen", f"127.0.0.1:{port}", "--tls-cert", os.path.join(tmp, "tls.crt"),
                             "--tls-key", os.path.join(tmp, "tls.key"), "--metrics-listen", f"127.0.0.1:{port + 1}",
                             "--console-listen", f"127.0.0.1:{port + 2}", "--baseline-dir",
                             os.path.join(tmp, "baselines"), "--policy", os.path.join(ex, "policy.yaml"),
                             "--shutdown-delay", "0", "--threads", "2"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wait_port(port + 2, proc, "driftgate's console")
    return proc


def gate_scenario(d, base):
    """The same page on driftgate: read-only, and honest about what it does not know."""
    wait = WebDriverWait(d, 15)
    d.set_window_size(1280, 1100)
    d.get(base + "/console/")
    wait.until(lambda _: tid(d, "state").text not in ("", "loading"))
    check(tid(d, "state").text == "no-cluster", "driftgate without a cluster: state no-cluster, "
          + tid(d, "state").text)
    check("unknown" in tid(d, "variance-count").text and "0" not in tid(d, "variance-count").text,
          "no live state is not 0 variances: " + tid(d, "variance-count").text)
    check(not tids(d, "reconcile-apply"), "driftgate's console has no apply control")
    cmd = d.find_element(By.ID, "rec-command").text
    check(cmd == "driftctl reconcile --release test-nginx -n sandbox-nginx --apply", "the command instead: " + cmd)
    check("read-only" in d.find_element(By.ID, "host").text, "says it is read-only")
    verdict, msg = simulate(d, wait, 4, "baseline")
    check(verdict == "deny" and "desired 6, requested 4" in msg, "driftgate's simulator denies 4: " + msg)
    shot(d, "08-driftgate-readonly")
    logs = [e for e in d.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
    for e in logs:
        print("browser:", e["level"], e["message"])
    check(not logs, "driftgate's console: no JavaScript errors or CSP violations")


def other_sources(d):
    """Online without a cluster: honest, not 0; offline with an audit log: its timeline."""
    port = free_port()
    proc = start(port, "--release", "test-nginx", "-n", "sandbox-nginx", "--kubeconfig", "/nonexistent")
    base = f"http://127.0.0.1:{port}"
    try:
        _, _, b = http(base, "/api/v1/variances")
        v = json.loads(b)
        check(v["total"] is None and v["state"] == "no-cluster", "no cluster: total null, state no-cluster")
        _, _, page = http(base, "/console/")
        token = page.split(b'name="dg-csrf" content="')[1].split(b'"')[0].decode()
        st, _, b = http(base, "/api/v1/reconcile", "POST", b'{"release":"test-nginx","namespace":"sandbox-nginx"}',
                        {"Content-Type": "application/json", "X-Driftctl-Token": token})
        check(st == 409 and b"cannot reconcile" in b, f"no cluster: reconcile refused ({st})")
        d.set_window_size(1280, 1100)
        d.get(base + "/console/")
        WebDriverWait(d, 15).until(lambda _: tid(d, "state").text == "no-cluster")
        check("unknown: no cluster" in tid(d, "variance-count").text, "the page: drift unknown, no cluster")
        check(not tid(d, "reconcile-apply").is_enabled(), "the page: nothing to apply without a cluster")
        shot(d, "09-no-cluster")
    finally:
        proc.terminate()
        proc.wait(10)
    port = free_port()
    ex = os.path.join(SRC, "examples")
    proc = start(port, "--baseline", os.path.join(ex, "release-baseline.yaml"), "--live",
                 os.path.join(ex, "live-snapshot.yaml"), "-n", "sandbox-nginx", "--audit-log",
                 os.path.join(SRC, "tests/fixtures/timeline/e2e-audit.log"))
    try:
        _, _, b = http(f"http://127.0.0.1:{port}", "/api/v1/timeline")
        tl = json.loads(b)
        stages = sorted({e["stage"] for e in tl["events"]})
        check(tl["source"] == "audit-log" and stages == ["baseline-render", "controlled-reconcile",
                                                         "out-of-band-mutation"],
              "--audit-log: the timeline from the audit log, all three stages")
    finally:
        proc.terminate()
        proc.wait(10)


def main():
    os.makedirs(SHOTS, exist_ok=True)
    port = free_port()
    proc = start(port)
    base = f"http://127.0.0.1:{port}"
    d = gate = None
    tmp = tempfile.mkdtemp(prefix="console-web.")
    try:
        check_http(base)
        d = browser()
        scenario(d, base)
        other_sources(d)
        if GATE:
            d.execute_cdp_cmd("Emulation.setEmulatedMedia",
                              {"features": [{"name": "prefers-color-scheme", "value": "light"}]})
            gport = free_port()
            gate = start_gate(tmp, gport)
            gate_scenario(d, f"http://127.0.0.1:{gport + 2}")
    finally:
        if d:
            d.quit()
        for p in (proc, gate):
            if p:
                p.terminate()
                p.wait(10)
        subprocess.run(["rm", "-rf", tmp])
    print(f"screenshots in {SHOTS}")
    if failures:
        sys.exit(f"{len(failures)} check(s) failed")


def apply_online(url, release, shots):
    """e2e: the apply, confirmed in the page, against the real API server."""
    global SHOTS
    SHOTS = shots
    os.makedirs(SHOTS, exist_ok=True)
    d = browser()
    try:
        wait = WebDriverWait(d, 60)
        d.get(url + "/console/")
        wait.until(lambda _: tid(d, "state").text not in ("", "loading"))
        check(tid(d, "state").text == "variance-detected", "web: variance-detected before, " + tid(d, "state").text)
        check(len(tids(d, "plan-op")) >= 1 and all("reconcile" in o.text for o in tids(d, "plan-op")),
              "web: the plan, every operation judged reconcile")
        btn = tid(d, "reconcile-apply")
        check(btn.is_enabled(), "web: apply is offered online")
        shot(d, "e2e-01-before-apply")
        btn.click()
        name = tid(d, "reconcile-confirm-name")
        wait.until(EC.visibility_of(name))
        check(not tid(d, "reconcile-confirm").is_enabled(), "web: apply waits for the release name")
        name.send_keys(release)
        tid(d, "reconcile-confirm").click()
        wait.until(lambda _: tid(d, "state").text == "in-sync")
        check(tid(d, "state").text == "in-sync", "web: the state turned in-sync")
        check("0 active variances" in tid(d, "variance-count").text, "web: 0 active variances after")
        check("Applied and verified" in d.find_element(By.ID, "rec-result").text,
              "web: " + d.find_element(By.ID, "rec-result").text)
        shot(d, "e2e-02-after-apply")
        logs = [e for e in d.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
        for e in logs:
            print("browser:", e["level"], e["message"])
        check(not logs, "web: no JavaScript errors")
    finally:
        d.quit()
    if failures:
        sys.exit(f"{len(failures)} check(s) failed")


if sys.argv[1] == "apply":
    apply_online(*sys.argv[2:5])
else:
    main()
