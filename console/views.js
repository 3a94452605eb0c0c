// console/views.js: building the page's parts from API answers. Text goes in
// with textContent only (never innerHTML): every value comes from a cluster.

export function h(tag, attrs = {}, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const kid of kids.flat()) {
    if (kid == null) continue;
    el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return el;
}

export const $ = (id) => document.getElementById(id);

export function setText(id, text) {
  $(id).textContent = text;
}

// A governed value as a reviewer reads it: 6, "ClusterIP", (absent).
export function show(v) {
  if (v === undefined || v === null) return '(absent)';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export function objName(o) {
  if (!o) return '';
  return `${o.kind || o.resource}/${o.name}`;
}

// The seed's names for the control paths people talk about.
const NAMES = [
  [/^spec\.minReplicas$/, 'HPA floor', 'Observed autoscaler floor diverges from the approved release contract.'],
  [/^spec\.maxReplicas$/, 'HPA ceiling', 'Observed autoscaler ceiling diverges from the approved release contract.'],
  [/^spec\.scaleTargetRef/, 'HPA target', 'The autoscaler scales something other than the release says.'],
  [/^spec\.ports/, 'Service port', 'The traffic contract (Service ports) diverges from the approved release.'],
  [/^spec\.type$/, 'Service type', 'The Service is exposed differently than the approved release says.'],
  [/^spec\.selector/, 'Service routing', 'Traffic is routed differently than the approved release says.'],
  [/image$/, 'Container image', 'The running image is not the one the release approved.'],
  [/resources/, 'Container resources', 'Requests or limits diverge from the approved release.'],
  [/^spec\.replicas$/, 'Replica count', 'The replica count diverges from the approved release.'],
];

export function controlName(path) {
  for (const [re, name, why] of NAMES) if (re.test(path)) return { name, why };
  return { name: path, why: 'The live value diverges from the approved release contract.' };
}

export function changedBy(cb) {
  if (!cb) return 'unknown (no managedFields)';
  return `${cb.manager}${cb.operation ? ' (' + cb.operation + ')' : ''}${cb.time ? ' at ' + cb.time : ''}`;
}

export function badge(text, cls = text) {
  return h('span', { class: `badge ${cls}`, text });
}

// One row of the governed drift table.
export function varianceRow(v, i, onSelect) {
  const tr = h('tr', {
    class: 'row', tabindex: '0', role: 'button', 'aria-selected': 'false',
    'data-testid': 'variance-row', 'data-index': String(i), 'data-target': v.target || '',
    'aria-label': `${objName(v.object)} ${v.path}: desired ${show(v.desired)}, live ${show(v.live)}`,
  },
  h('td', { class: 'mono', text: v.target || objName(v.object) }),
  h('td', { class: 'mono', text: v.path || '(whole object)' }),
  h('td', { class: 'mono', text: show(v.desired) }),
  h('td', { class: 'mono', text: show(v.live) }),
  h('td', { text: v.rule }),
  h('td', {}, badge(v.action)),
  h('td', { text: v.changedBy ? `${v.changedBy.manager}${v.changedBy.time ? ' · ' + v.changedBy.time : ''}` : '—' }));
  tr.addEventListener('click', () => onSelect(i));
  tr.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      onSelect(i);
    } else if (e.key === 'ArrowDown' && tr.nextElementSibling) {
      e.preventDefault();
      tr.nextElementSibling.focus();
    } else if (e.key === 'ArrowUp' && tr.previousElementSibling) {
      e.preventDefault();
      tr.previousElementSibling.focus();
    }
  });
  return tr;
}

// One timeline event, whichever host and source it came from.
export function eventCard(e) {
  const obj = e.target || (e.object ? `${e.object.resource}/${e.object.name}` : e.release || '');
  const vars = (e.variances || []).map((x) => h('li', {
    text: `${x.object && x.object !== obj ? x.object + ' ' : ''}${x.path}: ${'before' in x && x.before != null ? show(x.before) + ' → ' : ''}`
      + `${show(x.requested)}${'desired' in x ? '  (desired ' + show(x.desired) + ')' : ''}`,
  }));
  return h('article', { class: `event ${e.stage}` },
    h('header', {},
      h('strong', { text: obj }),
      e.decision ? badge(e.decision, e.decision === 'deny' ? 'deny' : e.decision === 'reconcile' ? 'reconcile' : 'audit') : null,
      h('span', { class: 'muted', text: `${e.user || 'who: unknown'}${e.time ? ' · ' + e.time : ' · when: not recorded'}` }),
      e.revision ? h('span', { class: 'muted', text: `revision ${e.revision}` }) : null),
    vars.length ? h('ul', {}, vars) : null,
    e.message ? h('p', { text: e.message }) : null);
}

// One operation of the reconcile plan, with the gate's verdict.
export function planOp(op) {
  const o = op.object || {};
  const verdict = op.decision || 'unjudged';
  return h('article', { class: 'op', 'data-testid': 'plan-op', 'data-target': `${o.kind}/${o.name}` },
    h('header', {},
      h('strong', { text: `${o.kind}/${o.name}` }),
      h('span', { class: 'muted', text: op.action }),
      badge(verdict, verdict),
      h('span', { class: 'muted', text: `${(op.variances || []).length} variance(s) restored` })),
    op.message ? h('p', { class: 'message', text: op.message }) : null,
    h('pre', { text: patchText(op) }));
}

// A JSON patch one operation a line, as a reviewer reads it.
function patchText(op) {
  if (!Array.isArray(op.patch)) return JSON.stringify(op.patch || op.manifest, null, 1);
  return op.patch.map((p) => (p.op
    ? `${p.op.padEnd(7)} ${p.path}${'value' in p ? '  ' + JSON.stringify(p.value) : ''}`
    : `restore ${p.path}: ${show(p.from)} → ${show(p.value)}`)).join('\n');
}

export function decisionItem(d) {
  const o = d.object || {};
  return h('li', {},
    badge(d.decision, d.decision), ' ',
    h('span', { class: 'mono', text: `${o.resource}/${o.name}` }), ' ',
    h('span', { class: 'muted', text: `${d.user} · ${d.time || ''}` }),
    d.message ? h('div', { text: d.message }) : null);
}
