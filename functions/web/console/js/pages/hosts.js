// H5 运维, for a bastion operator: the hosts and accounts the signed-in user may reach now
// (DescribeAccessibleDevices); each account opens the H5 terminal (#/terminal?account=<Id>).
import { call } from '../api.js';
import { t } from '../i18n.js';
import { h, table, errorBox } from '../ui.js';

const COLUMNS = [
  { label: 'hosts.c.name', render: (d) => d.Name || d.InstanceId || '' },
  { label: 'hosts.c.ip', render: (d) => [d.PrivateIp, d.PublicIp].filter(Boolean).join(' / ') },
  { label: 'hosts.c.os', key: 'OsName' },
  { label: 'hosts.c.accounts', render: (d) => h('span', { class: 'host-accounts' }, d.AccountSet.map((a) =>
    h('a', { href: `#/terminal?account=${a.Id}&host=${encodeURIComponent(d.Name || d.PrivateIp || d.PublicIp || '')}`,
      class: 'button open-terminal', 'data-account-id': a.Id, title: t('hosts.open') }, `${a.Account} ▸`), ' ')) },
];

export default {
  path: 'hosts',
  title: 'nav.hosts',
  menu: true,
  who: ['bastion'],
  async render(el) {
    const name = h('input', { 'data-field': 'Name', placeholder: t('hosts.filter') });
    const out = h('div', { class: 'hosts-list' });
    const load = async () => {
      out.replaceChildren(h('p', {}, t('common.loading')));
      try {
        const r = await call('bhsaas', '2019-10-18', 'DescribeAccessibleDevices',
          { Name: name.value.trim() || undefined, Offset: 0, Limit: 500 });
        out.replaceChildren(r.DeviceSet.length ? table(COLUMNS, r.DeviceSet) : h('p', { class: 'notice' }, t('hosts.none')));
      } catch (e) {
        out.replaceChildren(errorBox(e));
      }
    };
    const form = h('form', { class: 'toolbar', onsubmit: (ev) => { ev.preventDefault(); load(); } },
      name, h('button', { type: 'submit' }, t('common.search')));
    el.append(h('h1', { 'data-i18n': 'hosts.title' }), h('p', { 'data-i18n': 'hosts.intro' }), form, out);
    await load();
  },
};
