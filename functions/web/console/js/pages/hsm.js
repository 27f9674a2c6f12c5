// CloudHSM and KMS (云加密机 / 密钥管理): the VSM list (DescribeVsms, search and paging) with each
// VSM's details (DescribeVsmAttributes), and the KMS key list (ListKeyDetail, filtered by state)
// with each key's state, usage, origin and rotation (GetKeyRotationStatus).
import { call } from '../api.js';
import { t } from '../i18n.js';
import { loadStyle } from '../bastion/vendor.js';
import { h, table, modal, jsonView, errorBox } from '../ui.js';

const PAGE = 20;
const when = (sec) => (sec ? new Date(Number(sec) * 1000).toLocaleString() : '');

const VSM_COLUMNS = [
  { label: 'hsm.c.id', render: (v) => h('a', { href: '#', class: 'vsm-link', 'data-id': v.ResourceId }, v.ResourceId) },
  { label: 'hsm.c.name', key: 'ResourceName' },
  { label: 'hsm.c.status', render: (v) => t(`hsm.vs.${v.Status}`) },
  { label: 'hsm.c.type', render: (v) => [v.Manufacturer, v.VsmType, v.Model].filter(Boolean).join(' · ') },
  { label: 'hsm.c.vip', key: 'Vip' },
  { label: 'hsm.c.network', render: (v) => `${v.VpcName || v.VpcId || ''} / ${v.SubnetName || v.SubnetId || ''}` },
  { label: 'hsm.c.zone', render: (v) => v.ZoneName || v.ZoneId || '' },
  { label: 'hsm.c.expire', render: (v) => when(v.ExpireTime) },
];

function vsmDetail(attrs) {
  const rows = [['ResourceId', 'ResourceName', 'Status', 'Vip', 'VpcId', 'VpcName', 'VpcCidrBlock', 'SubnetId', 'SubnetName',
    'SubnetCidrBlock', 'Model', 'VsmType', 'Manufacturer', 'RegionId', 'ZoneId', 'ExpireTime', 'RenewFlag', 'ClusterId']]
    .flat().filter((k) => attrs[k] !== undefined && attrs[k] !== null)
    .map((k) => h('tr', {}, h('th', {}, k), h('td', { 'data-attr': k }, String(k === 'ExpireTime' ? `${attrs[k]} (${when(attrs[k])})` : attrs[k]))));
  modal(`${t('hsm.detail')} · ${attrs.ResourceId}`, h('div', { id: 'vsm-detail' },
    h('table', { class: 'grid kv' }, h('tbody', {}, rows)),
    h('h3', {}, t('hsm.sg')), jsonView(attrs.SgList || [])));
}

async function vsmSection(el) {
  const word = h('input', { name: 'SearchWord', 'data-field': 'SearchWord' });
  const form = h('form', { class: 'toolbar', id: 'vsm-search' },
    h('label', {}, h('span', {}, t('hsm.search')), word), h('button', { type: 'submit' }, t('common.search')));
  const message = h('div', { id: 'vsm-message' });
  const results = h('div', { id: 'vsm-results' });
  const prev = h('button', { type: 'button', class: 'link' }, t('bastion.prev'));
  const next = h('button', { type: 'button', class: 'link' }, t('bastion.next'));
  const info = h('span', { id: 'vsm-page' });
  el.append(h('h2', {}, t('hsm.vsms')), form, message, results, h('div', { class: 'pager' }, prev, info, next));
  let offset = 0;
  async function load() {
    message.replaceChildren(t('common.loading'));
    try {
      const p = { Offset: offset, Limit: PAGE };
      if (word.value.trim()) p.SearchWord = word.value.trim();
      const r = await call('cloudhsm', '2019-11-12', 'DescribeVsms', p);
      message.replaceChildren();
      results.replaceChildren(r.VsmList.length ? table(VSM_COLUMNS, r.VsmList) : h('p', { class: 'empty' }, t('common.none')));
      info.textContent = t('bastion.pageInfo', { from: r.VsmList.length ? offset + 1 : 0, to: offset + r.VsmList.length, total: r.TotalCount });
      info.dataset.total = r.TotalCount;
      prev.disabled = offset === 0;
      next.disabled = offset + r.VsmList.length >= r.TotalCount;
    } catch (err) { message.replaceChildren(errorBox(err)); }
  }
  results.addEventListener('click', async (ev) => {
    const a = ev.target.closest('a.vsm-link');
    if (!a) return;
    ev.preventDefault();
    try { vsmDetail(await call('cloudhsm', '2019-11-12', 'DescribeVsmAttributes', { ResourceId: a.dataset.id })); }
    catch (err) { message.replaceChildren(errorBox(err)); }
  });
  form.addEventListener('submit', (ev) => { ev.preventDefault(); offset = 0; load(); });
  prev.addEventListener('click', () => { offset = Math.max(0, offset - PAGE); load(); });
  next.addEventListener('click', () => { offset += PAGE; load(); });
  await load();
}

const KEY_COLUMNS = [
  { label: 'hsm.c.keyId', render: (k) => h('code', {}, k.KeyId) },
  { label: 'hsm.c.alias', key: 'Alias' },
  { label: 'hsm.c.state', render: (k) => h('span', { class: `state state-${k.KeyState}`, 'data-state': k.KeyState }, k.KeyState) },
  { label: 'hsm.c.usage', key: 'KeyUsage' },
  { label: 'hsm.c.origin', key: 'Origin' },
  { label: 'hsm.c.rotation', render: (k) => h('span', { class: 'rotation', 'data-key': k.KeyId }, t('common.loading')) },
  { label: 'hsm.c.created', render: (k) => when(k.CreateTime) },
  { label: 'hsm.c.description', key: 'Description' },
];

async function keySection(el) {
  const state = h('select', { 'data-field': 'KeyState' }, [0, 1, 2, 3, 4, 5].map((s) => h('option', { value: String(s) }, t(`hsm.ks.${s}`))));
  const alias = h('input', { 'data-field': 'SearchKeyAlias' });
  const form = h('form', { class: 'toolbar', id: 'key-search' },
    h('label', {}, h('span', {}, t('hsm.keyState')), state), h('label', {}, h('span', {}, t('hsm.alias')), alias),
    h('button', { type: 'submit' }, t('common.search')));
  const message = h('div', { id: 'key-message' });
  const results = h('div', { id: 'key-results' });
  const more = h('button', { type: 'button', id: 'key-more', hidden: true }, t('common.loadMore'));
  el.append(h('h2', {}, t('hsm.keys')), form, message, results, more);
  let offset = 0;
  let grid = null;
  async function rotation(k, cell) {
    try {
      const r = await call('kms', '2019-01-18', 'GetKeyRotationStatus', { KeyId: k.KeyId });
      cell.textContent = r.KeyRotationEnabled
        ? t('hsm.rotationOn') + (k.NextRotateTime ? ` · ${t('hsm.nextRotation')} ${when(k.NextRotateTime)}` : '')
        : t('hsm.rotationOff');
      cell.dataset.enabled = r.KeyRotationEnabled ? '1' : '0';
    } catch (err) { cell.replaceChildren(h('span', { class: 'muted', 'data-code': err.code }, err.code || '—')); }
  }
  async function load(first) {
    message.replaceChildren(t('common.loading'));
    try {
      const p = { Offset: offset, Limit: PAGE, KeyState: Number(state.value) };
      if (alias.value.trim()) p.SearchKeyAlias = alias.value.trim();
      const r = await call('kms', '2019-01-18', 'ListKeyDetail', p);
      const rows = r.KeyMetadatas || [];
      message.replaceChildren(t('bastion.found', { n: r.TotalCount }));
      const part = table(KEY_COLUMNS, rows);
      for (const [i, tr] of [...part.tBodies[0].rows].entries()) tr.dataset.key = rows[i].KeyId;
      if (first) { grid = part; results.replaceChildren(rows.length ? grid : h('p', { class: 'empty' }, t('common.none'))); }
      else grid.tBodies[0].append(...part.tBodies[0].rows);
      offset += rows.length;
      more.hidden = offset >= r.TotalCount || !rows.length;
      await Promise.all(rows.map((k) => rotation(k, results.querySelector(`.rotation[data-key="${k.KeyId}"]`))));
    } catch (err) { message.replaceChildren(errorBox(err)); }
  }
  form.addEventListener('submit', (ev) => { ev.preventDefault(); offset = 0; load(true); });
  more.addEventListener('click', () => load(false));
  await load(true);
}

export default {
  path: 'hsm',
  title: 'nav.hsm',
  menu: true,
  who: ['admin'],
  async render(el) {
    loadStyle('js/bastion/bastion.css');
    el.append(h('h1', {}, t('hsm.title')));
    const vsm = h('section', { id: 'hsm-vsms' });
    const keys = h('section', { id: 'hsm-keys' });
    el.append(vsm, keys);
    await Promise.all([vsmSection(vsm), keySection(keys)]);
  },
};
