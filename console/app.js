// console/app.js: the operator console. One page, two hosts: on driftctl's
// (the operator's machine) it may apply a reconcile after confirmation; on
// driftgate's it is read-only and shows the command to run instead.
import * as api from './api.js';
import {
  $, h, setText, show, objName, controlName, changedBy, badge,
  varianceRow, eventCard, planOp, decisionItem,
} from './views.js';

const STAGES = ['baseline-render', 'out-of-band-mutation', 'controlled-reconcile'];
const st = { ctx: null, rows: [], selected: -1, timeline: null, stage: 1, plan: null, params: {} };

// driftgate serves many releases: ?namespace=&release= picks one.
function initialParams() {
  const q = new URLSearchParams(location.search);
  return { namespace: q.get('namespace'), release: q.get('release') };
}

function banner(text, bad = false) {
  const b = $('banner');
  b.hidden = !text;
  b.className = bad ? 'banner err' : 'banner';
  b.textContent = text || '';
}

// ---- context and pipeline ------------------------------------------------

function stateWords(ctx) {
  if (ctx.state === 'no-cluster') return 'No cluster: the live state could not be read, so drift is unknown (not zero).';
  if (ctx.state === 'no-baseline') return 'No baseline: nothing says what this release should be, so drift is unknown (not zero).';
  if (ctx.state === 'not-synced') return 'driftgate has not synced its baselines yet: drift is not known yet.';
  if (ctx.state === 'error') return 'The release could not be loaded.';
  return '';
}

function renderContext(ctx) {
  const scope = `${ctx.namespace || '?'} / ${ctx.release || '?'}`;
  const s = $('state');
  s.textContent = ctx.state;
  s.className = `badge ${ctx.state}`;
  // The context line is the API's (libdrift's dg_context_lines(), the words
  // `driftctl console` prints); the card's workflow is the status card's.
  setText('context', ctx.lines[0]);
  setText('ctxmeta', ctx.lines[1]);
  const workflow = (ctx.status && ctx.status.workflow) || 'helm-release-assurance';
  setText('host', ctx.host === 'driftgate' ? 'driftgate · read-only'
    : ctx.mode === 'offline' ? 'driftctl · offline files' : 'driftctl · your kubeconfig');
  const words = stateWords(ctx);
  banner(words ? `${words}${ctx.error ? ' ' + ctx.error : ''}` : '', ctx.state === 'error' || ctx.state === 'no-cluster');
  setText('p-workflow', `Helm release assurance (${workflow})`);
  const src = ctx.status && ctx.status.source;
  setText('p-source', src
    ? `${src.origin}: ${src.location}${src.revision ? ' · revision ' + src.revision : ''}`
      + `${src.chart ? ' · ' + src.chart : ''}${src.digest ? ' · ' + src.digest.slice(0, 19) : ''}`
      + `${src.age ? ' · ' + src.age + ' old' : ''}`
    : `none (${ctx.error || 'no baseline'})`);
  setText('p-scope', scope);
  setText('promptline', `workflow=${workflow} state=${ctx.state} artifact=${ctx.artifact}`);
  // Each host offers the downloads it has the evidence for; none when the
  // release could not be read.
  const known = !['no-cluster', 'no-baseline', 'error'].includes(ctx.state);
  document.querySelectorAll('[data-asset]').forEach((li) => {
    li.hidden = !known || !(ctx.assets || []).includes(li.dataset.asset);
  });
  $('dec-sub').textContent = ctx.host === 'driftgate'
    ? "The gate's latest answers to the API server."
    : "Decisions are driftgate's; this console runs on your machine.";
}

// ---- governed drift and the focused control path -------------------------

function clearFocus(why) {
  st.selected = -1;
  setText('focus-name', why);
  ['focus-path', 'focus-desired', 'focus-live', 'focus-object', 'focus-rule', 'focus-who']
    .forEach((id) => setText(id, '—'));
  setText('focus-why', '');
}

function renderVariances(vr, ctx) {
  const body = $('variances');
  const empty = $('drift-empty');
  body.replaceChildren();
  clearFocus(vr.total == null ? 'Drift is not known: nothing to focus.' : 'No variance to focus: in sync.');
  if (vr.total == null) {
    // Unknown is not zero: say why there is nothing to show.
    const why = ctx.state === 'no-cluster' ? 'unknown: no cluster'
      : ctx.state === 'not-synced' ? 'unknown: not synced' : 'unknown: no baseline';
    setText('variance-count', why);
    empty.hidden = false;
    empty.className = 'empty bad';
    empty.textContent = `Drift is ${why}. ${vr.reason || ''}`;
    st.rows = [];
    return;
  }
  st.rows = vr.variances;
  setText('variance-count', `${vr.total} active variance${vr.total === 1 ? '' : 's'}`);
  empty.hidden = vr.total > 0;
  empty.className = 'empty';
  empty.textContent = 'In sync: every governed value matches the baseline.';
  st.rows.forEach((v, i) => body.append(varianceRow(v, i, select)));
  const hpa = st.rows.findIndex((v) => v.path === 'spec.minReplicas');
  if (st.rows.length) select(st.selected >= 0 && st.selected < st.rows.length ? st.selected : Math.max(hpa, 0), false);
}

function select(i, prefill = true) {
  const v = st.rows[i];
  st.selected = i;
  for (const tr of $('variances').children) tr.setAttribute('aria-selected', String(tr.dataset.index === String(i)));
  if (!v) return;
  const { name, why } = controlName(v.path);
  setText('focus-name', name);
  setText('focus-path', v.path);
  setText('focus-why', why);
  setText('focus-desired', show(v.desired));
  setText('focus-live', show(v.live));
  setText('focus-object', v.target || objName(v.object));
  setText('focus-rule', `${v.rule} (${v.action})`);
  setText('focus-who', changedBy(v.changedBy));
  if (prefill) {
    $('sim-result').hidden = true; // the last verdict was about another change
    if (v.target) $('sim-object').value = v.target;
    $('sim-path').value = v.path;
    $('sim-value').value = JSON.stringify(v.desired ?? null);
  }
}

// ---- the drift simulator -------------------------------------------------

function renderSimObjects(ctx) {
  const sel = $('sim-object');
  const cur = sel.value;
  const objs = ctx.objects || [];
  sel.replaceChildren(...objs.map((o) => h('option', { value: o, text: o })));
  $('sim-run').disabled = !objs.length; // nothing to judge against
  if (objs.includes(cur)) sel.value = cur;
  const paths = new Set(st.rows.map((v) => v.path).filter(Boolean));
  ['spec.minReplicas', 'spec.maxReplicas', 'spec.type', 'spec.replicas'].forEach((p) => paths.add(p));
  $('sim-paths').replaceChildren(...[...paths].map((p) => h('option', { value: p })));
  // driftgate knows no live objects: a change is replayed from the baseline.
  if (ctx.host === 'driftgate') $('sim-from').value = 'baseline';
}

function parseValue(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text; // a bare word is a string, as kubectl edit would store it
  }
}

async function simulate(ev) {
  ev.preventDefault();
  const req = { object: $('sim-object').value, from: $('sim-from').value };
  const patch = $('sim-patch').value.trim();
  if (patch) req.patch = patch;
  else Object.assign(req, { path: $('sim-path').value.trim(), value: parseValue($('sim-value').value.trim()) });
  const box = $('sim-result');
  box.hidden = false;
  try {
    const r = await api.post('simulate', req);
    renderVerdict(r);
  } catch (e) {
    setText('sim-verdict', 'error');
    $('sim-verdict').className = 'badge error';
    setText('sim-code', e.status ? `HTTP ${e.status}` : '');
    setText('sim-message', e.message);
    $('sim-note').hidden = true;
    $('sim-warnings').replaceChildren();
    $('sim-annotations').replaceChildren();
    setText('sim-raw', '');
  }
}

function renderVerdict(r) {
  const resp = r.admissionReview.response;
  const d = r.decision;
  const v = $('sim-verdict');
  v.textContent = d.decision;
  v.className = `badge ${resp.allowed ? (d.decision === 'warn' ? 'warn' : 'allow') : 'deny'} ${d.decision}`;
  setText('sim-code', resp.allowed ? 'allowed (200)' : `denied (${resp.status && resp.status.code})`);
  // The same replay `driftctl simulate` notes on stderr (policy/simulate.c).
  $('sim-note').hidden = !r.replayed;
  setText('sim-note', r.replayed ? `Note: ${r.note}` : '');
  const msg = resp.status && resp.status.message;
  setText('sim-message', msg || (d.decision === 'reconcile'
    ? 'Allowed: the change moves governed values back to the baseline (a reconcile).'
    : resp.allowed ? 'Allowed.' : 'Denied.'));
  $('sim-warnings').replaceChildren(...(resp.warnings || []).map((w) => h('li', { text: w })));
  $('sim-annotations').replaceChildren(...Object.entries(resp.auditAnnotations || {}).map(([k, val]) =>
    h('tr', {}, h('th', { scope: 'row', class: 'mono', text: k }), h('td', { class: 'mono', text: val }))));
  setText('sim-raw', JSON.stringify(r.admissionReview, null, 2));
}

// ---- the scenario timeline -------------------------------------------------

function renderTimeline(tl) {
  st.timeline = tl;
  const counts = STAGES.map((s) => (tl.events || []).filter((e) => e.stage === s).length);
  document.querySelectorAll('[data-testid="timeline-step"]').forEach((b, i) => {
    b.replaceChildren(b.textContent.replace(/\s*\d+$/, ''), h('span', { class: 'count', text: String(counts[i]) }));
  });
  const none = (tl.events || []).length ? '' : ' None recorded yet for this release.';
  setText('tl-note', tl.source === 'audit-log'
    ? `From the API server's audit log: who acted, when, and the gate's answer.${none}`
    : st.ctx && st.ctx.host === 'driftgate'
      ? `From the audit events the API server sends driftgate (POST /audit).${none}`
      : (tl.note || 'Derived from the baseline and live state.'));
  // Open where the story is: the mutation when there is drift.
  setStage(st.stage);
}

function setStage(i) {
  st.stage = i;
  $('timeline-scrubber').value = String(i);
  $('timeline-scrubber').setAttribute('aria-valuetext', STAGES[i]);
  document.querySelectorAll('[data-testid="timeline-step"]').forEach((b, j) => {
    b.setAttribute('aria-selected', String(j === i));
    b.tabIndex = j === i ? 0 : -1;
  });
  const events = ((st.timeline && st.timeline.events) || []).filter((e) => e.stage === STAGES[i]);
  const panel = $('tl-events');
  panel.dataset.stage = STAGES[i];
  panel.replaceChildren(...(events.length ? events.map(eventCard)
    : [h('p', { class: 'empty', text: `No ${STAGES[i]} events are known.` })]));
}

function wireTimeline() {
  $('timeline-scrubber').addEventListener('input', (e) => setStage(Number(e.target.value)));
  const steps = [...document.querySelectorAll('[data-testid="timeline-step"]')];
  steps.forEach((b, i) => {
    b.addEventListener('click', () => setStage(i));
    b.addEventListener('keydown', (e) => {
      const d = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
      if (!d) return;
      e.preventDefault();
      const n = (i + d + steps.length) % steps.length;
      setStage(n);
      steps[n].focus();
    });
  });
}

// ---- reconcile -------------------------------------------------------------------

function renderPlan(plan, ctx) {
  st.plan = plan;
  const box = $('plan');
  const ops = plan.operations || [];
  if (!plan.known) box.replaceChildren(h('p', { class: 'empty bad', text: `No plan: ${ctx.error || 'the drift is not known'}.` }));
  else if (!ops.length) box.replaceChildren(h('p', { class: 'empty', text: 'Nothing to reconcile: live matches the baseline.' }));
  else box.replaceChildren(...ops.map(planOp));
  setText('rec-command', plan.command || '');
  const slot = $('rec-apply-slot');
  if (ctx.host === 'driftgate') {
    // Read-only host: no apply control at all, the command instead.
    slot.replaceChildren(h('span', { class: 'muted', text: 'Read-only here: apply from a terminal with the command shown.' }));
    return;
  }
  const btn = h('button', {
    type: 'button', class: 'danger', id: 'reconcile-apply', 'data-testid': 'reconcile-apply',
    disabled: !plan.canApply, title: plan.canApply ? 'Apply the judged plan with your kubeconfig'
      : (ctx.reconcile && ctx.reconcile.why) || 'Nothing to apply',
  }, 'Apply reconcile…');
  btn.addEventListener('click', openConfirm);
  slot.replaceChildren(btn, plan.canApply ? null : h('div', { class: 'muted small', text: (ctx.reconcile && ctx.reconcile.why) || '' }));
}

function openConfirm() {
  const ctx = st.ctx;
  const n = (st.plan.operations || []).length;
  setText('confirm-text', `${n} operation${n === 1 ? '' : 's'} will be applied to ${ctx.namespace}/${ctx.release} `
    + `with kubectl (field manager driftctl-reconcile), each judged again by the gate, then verified by a fresh capture.`);
  $('confirm-name').value = '';
  $('confirm-apply').disabled = true;
  $('confirm').showModal();
  $('confirm-name').focus();
}

async function applyReconcile() {
  const ctx = st.ctx;
  $('confirm').close();
  setText('rec-result', 'Applying… (kubectl)');
  try {
    const r = await api.post('reconcile', {
      release: ctx.release, namespace: ctx.namespace, digest: st.plan.release && st.plan.release.digest,
    });
    setText('rec-result', `Applied and verified: state is now ${r.state}.`);
  } catch (e) {
    setText('rec-result', `Not applied: ${e.message}`);
  }
  await load(false);
}

function wireConfirm() {
  $('confirm-name').addEventListener('input', (e) => {
    $('confirm-apply').disabled = e.target.value !== st.ctx.release;
  });
  $('confirm-cancel').addEventListener('click', () => $('confirm').close());
  $('confirm-apply').addEventListener('click', applyReconcile);
}

// driftgate governs many releases: pick one (the page's URL names it).
async function renderPicker(ctx) {
  if (ctx.host !== 'driftgate') return;
  const r = await api.get('releases').catch(() => null);
  const rels = (r && r.releases) || [];
  if (rels.length < 2) return;
  const sel = $('release-picker');
  sel.replaceChildren(...rels.map((x) => h('option', { value: `${x.namespace}/${x.name}`, text: `${x.namespace}/${x.name}` })));
  sel.value = `${ctx.namespace}/${ctx.release}`;
  sel.onchange = () => {
    const [namespace, release] = sel.value.split('/');
    location.search = new URLSearchParams({ namespace, release }).toString();
  };
  $('picker-label').hidden = false;
}

// ---- loading ---------------------------------------------------------------------

async function optional(path, params) {
  try {
    return await api.get(path, params);
  } catch (e) {
    return { error: e.message };
  }
}

async function load(refresh) {
  try {
    const ctx = await api.get('context', refresh ? { ...st.params, refresh: 1 } : st.params);
    st.ctx = ctx;
    if (!st.params.namespace) st.params = { namespace: ctx.namespace, release: ctx.release };
    renderContext(ctx);
    renderPicker(ctx);
    const [vr, plan, tl, dec] = await Promise.all([
      api.get('variances', st.params), optional('plan', st.params),
      optional('timeline', st.params), optional('decisions', st.params)]);
    renderVariances(vr, ctx);
    renderSimObjects(ctx);
    renderPlan(plan.error ? { known: false } : plan, plan.error ? { ...ctx, error: plan.error } : ctx);
    renderTimeline(tl.error ? { events: [], note: tl.error } : tl);
    const items = (dec.decisions || []).slice().reverse().slice(0, 50);
    $('decisions').replaceChildren(...(items.length ? items.map(decisionItem)
      : [h('li', { class: 'muted', text: ctx.host === 'driftgate' ? (dec.error || 'No decisions yet.') : 'Run driftgate to see its decision stream (kubectl port-forward to its console).' })]));
  } catch (e) {
    banner(`The console API did not answer: ${e.message}`, true);
  }
}

function main() {
  st.params = initialParams();
  $('simform').addEventListener('submit', simulate);
  $('refresh').addEventListener('click', () => load(true));
  wireTimeline();
  wireConfirm();
  load(false);
}

main();
