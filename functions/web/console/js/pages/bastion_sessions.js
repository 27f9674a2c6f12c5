// Bastion session audit (会话审计): search sessions by user, host, account, source, time, kind and
// status (SearchSession), or the sessions that ran a command (SearchSessionCommand); each opens
// its replay (#/bastion-replay?sid=...).
import { call } from '../api.js';
import { t } from '../i18n.js';
import { loadStyle } from '../bastion/vendor.js';
import { h, table, errorBox } from '../ui.js';
import { SVC, VER } from '../bastion/crud.js';
import { isoOf, localNow, shown } from '../bastion/times.js';

const PAGE = 20;
const text = (name, label) => h('label', {}, h('span', {}, t(label)), h('input', { name, 'data-field': name }));
const select = (name, label, options, value = '') => h('label', {}, h('span', {}, t(label)),
  h('select', { name, 'data-field': name }, options.map(([v, l]) => h('option', { value: String(v), selected: String(v) === value }, t(l)))));

const COLUMNS = [
  { label: 'bastion.c.start', render: (s) => shown(s.StartTime) },
  { label: 'bastion.c.end', render: (s) => shown(s.EndTime) },
  { label: 'bastion.c.userName', key: 'UserName' },
  { label: 'bastion.c.realName', key: 'RealName' },
  { label: 'bastion.c.account', key: 'Account' },
  { label: 'bastion.c.device', render: (s) => `${s.DeviceName || ''} ${s.PrivateIp || s.PublicIp || ''}`.trim() },
  { label: 'bastion.c.fromIp', key: 'FromIp' },
  { label: 'bastion.c.protocol', key: 'Protocol' },
  { label: 'bastion.c.status', render: (s) => (s.Status ? t(`bastion.ss.${s.Status}`) : '') },
  { label: 'bastion.c.commandCount', key: 'Count' },
  { label: 'bastion.actions', render: (s) => h('a', { href: `#/bastion-replay?sid=${encodeURIComponent(s.Id)}`,
    class: 'replay-link', 'data-sid': s.Id }, t('bastion.replay')) },
];

export default {
  path: 'bastion-sessions',
  title: 'nav.bastionSessions',
  menu: true,
  who: ['admin'],
  async render(el) {
    loadStyle('js/bastion/bastion.css');
    const form = h('form', { class: 'toolbar', id: 'session-search' },
      h('label', {}, h('span', {}, t('bastion.f.from')), h('input', { type: 'datetime-local', 'data-field': 'StartTime', value: localNow(-7 * 86400) })),
      h('label', {}, h('span', {}, t('bastion.f.to')), h('input', { type: 'datetime-local', 'data-field': 'EndTime', value: localNow(3600) })),
      text('UserName', 'bastion.f.userName'), text('RealName', 'bastion.f.realName'),
      text('DeviceName', 'bastion.f.deviceName'), text('PrivateIp', 'bastion.f.hostIp'),
      text('Account', 'bastion.f.account'), text('FromIp', 'bastion.f.fromIp'), text('Id', 'bastion.f.sid'),
      select('Kind', 'bastion.f.kind', [[1, 'bastion.kind.1'], [2, 'bastion.kind.2'], [3, 'bastion.kind.3'], [4, 'bastion.kind.4']], '1'),
      select('Status', 'bastion.f.status', [['', 'bastion.any'], [1, 'bastion.ss.1'], [2, 'bastion.ss.2'], [3, 'bastion.ss.3'], [4, 'bastion.ss.4']]),
      text('Cmd', 'bastion.f.cmd'),
      h('button', { type: 'submit' }, t('common.search')));
    const message = h('div', { id: 'session-message' });
    const results = h('div', { id: 'session-results' });
    const more = h('button', { type: 'button', id: 'session-more', hidden: true }, t('common.loadMore'));
    el.append(h('h1', {}, t('bastion.sessions.title')), form, message, results, more);

    let offset = 0;
    let grid = null;
    const field = (name) => form.querySelector(`[data-field="${name}"]`).value.trim();
    function params() {
      const p = { StartTime: isoOf(field('StartTime')), EndTime: isoOf(field('EndTime')) };
      if (field('Cmd')) return { ...p, Cmd: field('Cmd') };
      if (field('Id')) return { Id: field('Id') };
      for (const n of ['UserName', 'RealName', 'DeviceName', 'PrivateIp', 'Account', 'FromIp']) if (field(n)) p[n] = field(n);
      p.Kind = Number(field('Kind'));
      if (field('Status')) p.Status = Number(field('Status'));
      return p;
    }
    let criteria = null;
    async function page(first) {
      message.replaceChildren(t('common.loading'));
      try {
        const byCmd = 'Cmd' in criteria;
        const r = await call(SVC, VER, byCmd ? 'SearchSessionCommand' : 'SearchSession', { ...criteria, Offset: offset, Limit: PAGE });
        const rows = byCmd ? r.CommandSessionSet : r.SessionSet;
        message.replaceChildren(t('bastion.found', { n: r.TotalCount }));
        if (first) {
          grid = table(COLUMNS, rows);
          results.replaceChildren(rows.length ? grid : h('p', { class: 'empty' }, t('common.none')));
        } else {
          const extra = table(COLUMNS, rows).tBodies[0].rows;
          grid.tBodies[0].append(...extra);
        }
        offset += rows.length;
        more.hidden = offset >= r.TotalCount || !rows.length;
      } catch (err) {
        message.replaceChildren(errorBox(err));
      }
    }
    form.addEventListener('submit', (ev) => { ev.preventDefault(); criteria = params(); offset = 0; page(true); });
    more.addEventListener('click', () => page(false));
    criteria = params();
    await page(true);
  },
};
