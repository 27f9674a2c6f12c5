// CloudAudit (云审计 › 操作记录): search by time range, attribute key/value and keyword, results
// with "load more", each event's detail as formatted JSON, export to JSON/CSV (CreateExportTask,
// then DescribeExportTasks until the task has its DownloadUrl). Every call is LookupEvents etc. of
// cloudaudit 2019-03-04 through api.call, so the console sees what the API allows this key to see.
import { call } from '../api.js';
import { t } from '../i18n.js';
import { h, table, appendRows, modal, jsonView, errorBox, toLocalInput, fromLocalInput, fmtTime } from '../ui.js';

const SVC = 'cloudaudit';
const VER = '2019-03-04';
export const ATTRIBUTE_KEYS = ['EventName', 'Username', 'ResourceType', 'ResourceName', 'ReadOnly', 'RequestId',
  'EventId', 'AccessKeyId', 'EventSource', 'EventRegion', 'SourceIPAddress', 'ApiErrorCode', 'CamErrorCode',
  'ActionType', 'PrincipalId', 'SensitiveAction', 'ResourceId', 'Location'];
const PAGE = 20;

const COLUMNS = [
  { label: 'audit.col.time', render: (e) => fmtTime(e.EventTime) },
  { label: 'audit.col.user', key: 'Username' },
  { label: 'audit.col.event', render: (e) => h('a', { href: '#', class: 'event-link', 'data-event-id': e.EventId }, e.EventName) },
  { label: 'audit.col.resourceType', render: (e) => (e.Resources && e.Resources.ResourceType) || '' },
  { label: 'audit.col.resourceName', render: (e) => (e.Resources && e.Resources.ResourceName) || '' },
  { label: 'audit.col.source', key: 'EventSource' },
  { label: 'audit.col.error', render: (e) => e.ApiErrorCode || '' },
];

function detail(event) {
  let full = event;
  try { full = { ...event, CloudAuditEvent: JSON.parse(event.CloudAuditEvent) }; } catch { /* as sent */ }
  modal(`${t('audit.detail')} · ${event.EventName}`, h('div', { id: 'event-detail' }, jsonView(full)));
}

function attrRow(onRemove) {
  const key = h('select', { class: 'attr-key' }, ATTRIBUTE_KEYS.map((k) => h('option', { value: k }, k)));
  const value = h('input', { class: 'attr-value', 'data-i18n-placeholder': 'audit.attrValue' });
  const row = h('div', { class: 'attr-row' }, key, value,
    h('button', { type: 'button', class: 'link', onclick: () => onRemove(row), 'data-i18n': 'audit.removeAttr' }));
  return row;
}

export default {
  path: 'audit',
  title: 'nav.audit',
  menu: true,
  who: ['admin'],
  async render(el) {
    const now = Math.floor(Date.now() / 1000);
    const start = h('input', { type: 'datetime-local', name: 'start', value: toLocalInput(now - 86400) });
    const end = h('input', { type: 'datetime-local', name: 'end', value: toLocalInput(now + 60) });
    const keyword = h('input', { name: 'keyword', 'data-i18n-placeholder': 'audit.keyword' });
    const attrs = h('div', { class: 'attrs' });
    const remove = (row) => row.remove();
    const form = h('form', { id: 'audit-search', class: 'toolbar' },
      h('label', {}, h('span', { 'data-i18n': 'audit.start' }), start),
      h('label', {}, h('span', { 'data-i18n': 'audit.end' }), end),
      h('label', {}, h('span', { 'data-i18n': 'audit.keyword' }), keyword),
      h('button', { type: 'button', class: 'link', 'data-i18n': 'audit.addAttr',
        onclick: () => { attrs.append(attrRow(remove)); } }),
      h('button', { type: 'submit', 'data-i18n': 'common.search' }),
      h('button', { type: 'button', id: 'audit-export', 'data-i18n': 'audit.export', onclick: () => exportDialog() }));
    const message = h('div', { id: 'audit-message' });
    const results = h('div', { id: 'audit-results' });
    const more = h('button', { type: 'button', id: 'audit-more', hidden: true, 'data-i18n': 'common.loadMore' });
    el.append(h('h1', { 'data-i18n': 'audit.title' }), form, attrs, message, results, more);

    let criteria = null;
    let nextToken = '';
    let grid = null;
    const events = new Map();

    const query = () => {
      const q = { StartTime: fromLocalInput(start.value), EndTime: fromLocalInput(end.value) };
      const la = [...attrs.querySelectorAll('.attr-row')]
        .map((r) => ({ AttributeKey: r.querySelector('.attr-key').value, AttributeValue: r.querySelector('.attr-value').value.trim() }))
        .filter((a) => a.AttributeValue);
      if (la.length) q.LookupAttributes = la;
      if (keyword.value.trim()) { q.LookupType = 'fuzzy'; q.ContentValue = keyword.value.trim(); }
      return q;
    };

    const onRowClick = (e) => detail(e);
    async function page(first) {
      message.replaceChildren(t('common.loading'));
      more.disabled = true;
      try {
        const r = await call(SVC, VER, 'LookupEvents', { ...criteria, MaxResults: PAGE, ...(first ? {} : { NextToken: nextToken }) });
        message.replaceChildren();
        for (const e of r.Events) events.set(e.EventId, e);
        if (first) {
          grid = table(COLUMNS, r.Events, { onRowClick });
          results.replaceChildren(r.Events.length ? grid : h('p', { class: 'empty', 'data-i18n': 'common.none' }, t('common.none')));
        } else {
          appendRows(grid, COLUMNS, r.Events, { onRowClick });
        }
        nextToken = r.NextToken || '';
        more.hidden = r.ListOver || !nextToken;
      } catch (err) {
        message.replaceChildren(errorBox(err));
      } finally {
        more.disabled = false;
      }
    }
    results.addEventListener('click', (ev) => { if (ev.target.closest('a.event-link')) ev.preventDefault(); });
    form.addEventListener('submit', (ev) => { ev.preventDefault(); criteria = query(); events.clear(); page(true); });
    more.addEventListener('click', () => page(false));

    function exportDialog() {
      const bucket = h('input', { name: 'bucket', value: 'console-export' });
      const format = h('select', { name: 'format' }, ['json', 'csv'].map((f) => h('option', { value: f }, f.toUpperCase())));
      const status = h('div', { id: 'export-status' });
      const go = h('button', { type: 'submit', 'data-i18n': 'audit.exportCreate' }, t('audit.exportCreate'));
      const f = h('form', { id: 'export-form' },
        h('label', { class: 'field' }, h('span', {}, t('audit.exportBucket')), bucket),
        h('label', { class: 'field' }, h('span', {}, t('audit.exportFormat')), format), go, status);
      f.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        go.disabled = true;
        try {
          const created = await call(SVC, VER, 'CreateExportTask', { ...query(), CosBucket: bucket.value.trim(),
            IsCreateNewBucket: true, FileType: format.value, StorageType: 'cos' });
          status.replaceChildren(t('audit.exportWaiting', { id: created.Id }));
          for (let i = 0; i < 120; i++) {
            const r = await call(SVC, VER, 'DescribeExportTasks', { Id: created.Id });
            const task = r.ExportList[0];
            if (task.Status === 'success' && task.DownloadUrl) {
              status.replaceChildren(h('span', {}, t('audit.exportReady'), ' '),
                h('a', { id: 'export-download', href: task.DownloadUrl, 'data-task-id': task.Id, download: '' },
                  `${t('audit.exportDownload')} (${task.FileType}, ${task.FileSize} B)`));
              return;
            }
            if (task.Status === 'failed') { status.replaceChildren(t('audit.exportFailed', { status: task.Status })); return; }
            await new Promise((res) => setTimeout(res, 1000));
          }
        } catch (err) {
          status.replaceChildren(errorBox(err));
        } finally {
          go.disabled = false;
        }
      });
      modal(t('audit.export'), f);
    }
  },
};
