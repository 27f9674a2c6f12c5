// A list-with-filters-and-paging plus create / edit / delete dialog for one kind of bastion object,
// driven by a spec (js/bastion/specs.js). Every call is the bastion API action the spec names.
import { call } from '../api.js';
import { t } from '../i18n.js';
import { h, table, modal, errorBox } from '../ui.js';

export const SVC = 'bhsaas';
export const VER = '2019-10-18';
const PAGE = 20;

// A form control for a field spec {name, label, type: text|number|ids|list|bool|select|textarea, options, required}.
function control(f, value) {
  const attrs = { name: f.name, 'data-field': f.name };
  if (f.type === 'bool') return h('input', { ...attrs, type: 'checkbox', checked: !!value });
  if (f.type === 'select') {
    return h('select', attrs, (f.blank ? [h('option', { value: '' }, '')] : []).concat(
      f.options.map(([v, label]) => h('option', { value: String(v), selected: String(value ?? '') === String(v) }, t(label)))));
  }
  if (f.type === 'textarea') return h('textarea', { ...attrs, rows: 4 }, value ?? '');
  const shown = Array.isArray(value) ? value.join(',') : (value ?? '');
  return h('input', { ...attrs, type: f.type === 'number' ? 'number' : 'text', value: String(shown),
    placeholder: f.placeholder || (f.type === 'ids' ? '1,2,3' : '') });
}

// The value a control holds, as the API wants it; undefined = leave the parameter out.
function read(f, el) {
  if (f.type === 'bool') return el.checked;
  const raw = el.value.trim();
  if (raw === '') return f.keepEmpty ? (f.type === 'ids' || f.type === 'list' ? [] : '') : undefined;
  if (f.type === 'number') return Number(raw);
  if (f.type === 'select') return f.numeric ? Number(raw) : raw;
  if (f.type === 'ids') return raw.split(/[\s,]+/).filter(Boolean).map(Number);
  if (f.type === 'list') return raw.split(/[\s,]+/).filter(Boolean);
  return raw;
}

function values(fields, root) {
  const out = {};
  for (const f of fields) {
    const v = read(f, root.querySelector(`[data-field="${f.name}"]`));
    if (v !== undefined) out[f.name] = v;
  }
  return out;
}

function fieldRow(f, value) {
  return h('label', { class: f.type === 'bool' ? 'field check' : 'field' },
    h('span', {}, t(f.label), f.required ? ' *' : ''), control(f, value));
}

// Render the object kind `spec` into el.
export function crud(el, spec) {
  let offset = 0;
  const filterForm = h('form', { class: 'toolbar', 'data-role': 'filters' },
    spec.filters.map((f) => fieldRow({ ...f, blank: true }, '')),
    h('button', { type: 'submit' }, t('common.search')),
    spec.create ? h('button', { type: 'button', 'data-role': 'create', onclick: () => edit(null) }, t('bastion.create')) : null);
  const message = h('div', { 'data-role': 'message' });
  const results = h('div', { 'data-role': 'results' });
  const prev = h('button', { type: 'button', class: 'link', 'data-role': 'prev' }, t('bastion.prev'));
  const next = h('button', { type: 'button', class: 'link', 'data-role': 'next' }, t('bastion.next'));
  const pageInfo = h('span', { 'data-role': 'page-info' });
  el.append(filterForm, message, results, h('div', { class: 'pager' }, prev, pageInfo, next));

  const actionsColumn = {
    label: 'bastion.actions',
    render: (row) => h('span', { class: 'row-actions' },
      spec.modify ? h('button', { type: 'button', class: 'link', 'data-role': 'edit', 'data-id': row.Id,
        onclick: (ev) => { ev.stopPropagation(); edit(row); } }, t(spec.editLabel || 'bastion.edit')) : null,
      spec.del ? h('button', { type: 'button', class: 'link danger', 'data-role': 'delete', 'data-id': row.Id,
        onclick: (ev) => { ev.stopPropagation(); remove(row); } }, t('bastion.delete')) : null),
  };

  async function load() {
    message.replaceChildren(t('common.loading'));
    try {
      const r = await call(SVC, VER, spec.list, { ...values(spec.filters, filterForm), ...(spec.listExtra || {}), Offset: offset, Limit: PAGE });
      const rows = r[spec.set] || [];
      message.replaceChildren();
      results.replaceChildren(rows.length ? table([...spec.columns, actionsColumn], rows)
        : h('p', { class: 'empty' }, t('common.none')));
      for (const [i, tr] of [...results.querySelectorAll('tbody tr')].entries()) tr.dataset.id = rows[i].Id;
      pageInfo.textContent = t('bastion.pageInfo', { from: rows.length ? offset + 1 : 0, to: offset + rows.length, total: r.TotalCount });
      pageInfo.dataset.total = r.TotalCount;
      prev.disabled = offset === 0;
      next.disabled = offset + rows.length >= r.TotalCount;
    } catch (err) {
      message.replaceChildren(errorBox(err));
    }
  }

  function edit(row) {
    const fields = row ? spec.modifyFields : spec.createFields;
    const start = row ? (spec.toForm ? spec.toForm(row) : row) : {};
    const status = h('div', { 'data-role': 'form-status' });
    const form = h('form', { class: 'crud-form', 'data-role': row ? 'edit-form' : 'create-form' },
      fields.map((f) => fieldRow(f, start[f.name])), h('button', { type: 'submit', 'data-role': 'save' }, t('bastion.save')), status);
    const dlg = modal(t(row ? (spec.editLabel || 'bastion.edit') : 'bastion.create') + ' · ' + t(spec.title), form);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      let params = values(fields, form);
      try {
        if (row) {
          params = spec.modifyParams ? spec.modifyParams(params, row) : { Id: row.Id, ...params };
          await call(SVC, VER, spec.modify, params);
        } else {
          await call(SVC, VER, spec.create, spec.createParams ? spec.createParams(params) : params);
        }
        dlg.close();
        load();
      } catch (err) {
        status.replaceChildren(errorBox(err));
      }
    });
  }

  async function remove(row) {
    if (!confirm(t('bastion.confirmDelete', { name: spec.name(row) }))) return;
    try {
      await call(SVC, VER, spec.del, { IdSet: [row.Id] });
      load();
    } catch (err) {
      message.replaceChildren(errorBox(err));
    }
  }

  filterForm.addEventListener('submit', (ev) => { ev.preventDefault(); offset = 0; load(); });
  prev.addEventListener('click', () => { offset = Math.max(0, offset - PAGE); load(); });
  next.addEventListener('click', () => { offset += PAGE; load(); });
  return load();
}
