// console/api.js: the JSON API, the same on driftctl's and driftgate's hosts
// (README "Console API"). Errors come back as Status objects with a message.

const meta = document.querySelector('meta[name="dg-csrf"]');
// driftgate leaves the mark unfilled: no token, no reconcile there.
export const token = meta && !meta.content.startsWith('@') ? meta.content : '';

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function answer(res) {
  const text = await res.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    throw new ApiError(res.status, `${res.status}: not JSON: ${text.slice(0, 200)}`);
  }
  if (!res.ok) throw new ApiError(res.status, (body && body.message) || `HTTP ${res.status}`);
  return body;
}

// GET /api/v1/<path>, with ?namespace=&release= when the host serves many.
export async function get(path, params = {}) {
  const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v != null && v !== ''));
  const url = `/api/v1/${path}${q.toString() ? '?' + q : ''}`;
  return answer(await fetch(url, { headers: { Accept: 'application/json' } }));
}

export async function post(path, body) {
  const headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
  if (token) headers['X-Driftctl-Token'] = token;
  return answer(await fetch(`/api/v1/${path}`, {
    method: 'POST', headers, body: JSON.stringify(body),
  }));
}
