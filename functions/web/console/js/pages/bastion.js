// Bastion administration (堡垒机 › 用户 / 用户组 / 资产 / 资产组 / 账号 / 命令模板 / 访问权限): one tab
// per object kind, each a filtered, paged list with create, edit and delete through the bastion
// actions (js/bastion/specs.js says which).
import { t } from '../i18n.js';
import { loadStyle } from '../bastion/vendor.js';
import { h } from '../ui.js';
import { crud } from '../bastion/crud.js';
import { SPECS } from '../bastion/specs.js';

export default {
  path: 'bastion',
  title: 'nav.bastionAdmin',
  menu: true,
  who: ['admin'],
  async render(el, { query }) {
    loadStyle('js/bastion/bastion.css');
    const spec = SPECS.find((s) => s.tab === query.get('tab')) || SPECS[0];
    el.append(h('h1', { 'data-i18n': 'bastion.title' }),
      h('nav', { class: 'tabs', 'data-role': 'tabs' }, SPECS.map((s) => h('a', {
        class: s === spec ? 'tab active' : 'tab', href: `#/bastion?tab=${s.tab}`, 'data-tab': s.tab }, t(s.title)))));
    const body = h('div', { class: 'crud', 'data-kind': spec.tab });
    el.append(body);
    await crud(body, spec);
  },
};
