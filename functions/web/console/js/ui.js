// Small DOM helpers shared by the pages. Text always goes in as text (never innerHTML).
import { t } from './i18n.js';
import { ApiError } from './api.js';

// h('button', {class: 'x', onclick: fn, 'data-id': 3}, 'text', child, ...)
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

// An API error as the API gave it: Code, Message, RequestId (data-code for tests).
export function errorBox(err) {
  const code = err instanceof ApiError ? err.code : 'ClientError';
  const message = err instanceof ApiError ? err.apiMessage : String(err && err.message || err);
  return h('div', { class: 'error', role: 'alert', 'data-code': code },
    h('b', { class: 'error-code' }, code), ' ', h('span', { class: 'error-message' }, message),
    err && err.requestId ? h('small', {}, ` (RequestId ${err.requestId})`) : null);
}

// Replace el's content with an error box for err.
export function showError(el, err) { el.replaceChildren(errorBox(err)); }

// A table: columns [{key|title, label (i18n key), render(row) -> node|string}], rows [{...}].
export function table(columns, rows, { onRowClick } = {}) {
  const body = h('tbody');
  const tableEl = h('table', { class: 'grid' },
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', {}, t(c.label))))), body);
  appendRows(tableEl, columns, rows, { onRowClick });
  return tableEl;
}

export function appendRows(tableEl, columns, rows, { onRowClick } = {}) {
  const body = tableEl.tBodies[0];
  for (const row of rows) {
    const tr = h('tr', onRowClick ? { class: 'clickable', onclick: () => onRowClick(row) } : {},
      columns.map((c) => h('td', {}, c.render ? c.render(row) : (row[c.key] ?? ''))));
    body.append(tr);
  }
}

// A modal dialog with a title and content; returns the <dialog> (closed by its button or Esc).
export function modal(title, ...content) {
  const dlg = h('dialog', { class: 'modal' },
    h('header', {}, h('b', {}, title), h('button', { type: 'button', class: 'close', onclick: () => dlg.close() }, '×')),
    ...content);
  dlg.addEventListener('close', () => dlg.remove());
  document.body.append(dlg);
  dlg.showModal();
  return dlg;
}

// Pretty JSON (string fields that hold JSON are shown parsed as well).
export function jsonView(value) {
  return h('pre', { class: 'json' }, JSON.stringify(value, null, 2));
}

// Local time <-> UNIX seconds for <input type="datetime-local">.
export function toLocalInput(sec) {
  const d = new Date(sec * 1000);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}
export function fromLocalInput(s) { return Math.floor(new Date(s).getTime() / 1000); }
export function fmtTime(sec) { return sec ? new Date(Number(sec) * 1000).toLocaleString() : ''; }
