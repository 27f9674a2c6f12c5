// Sign-in. Administrator: SecretId + SecretKey stay in this page; it calls sts GetFederationToken
// (signed with them, in the browser) for a temporary key, then forgets them. Bastion user: password
// + TOTP checked by POST /console/signin/bastion, which answers a temporary key scoped to operators.
import { apiUrl, callWith, ApiError } from '../api.js';
import * as session from '../session.js';
import { t } from '../i18n.js';
import { h, errorBox } from '../ui.js';

export const SESSION_SECONDS = 3600;
const REGIONS = ['ap-guangzhou', 'ap-shanghai', 'ap-beijing', 'ap-chengdu', 'ap-chongqing', 'ap-nanjing',
  'ap-hongkong', 'ap-singapore', 'ap-shanghai-fsi', 'ap-shenzhen-fsi', 'ap-beijing-fsi'];

function field(label, input) { return h('label', { class: 'field' }, h('span', { 'data-i18n': label }), input); }

function done(s) {
  session.start(s);
  location.hash = '#/audit';
}

function adminForm(msg) {
  const id = h('input', { name: 'secretId', autocomplete: 'username', required: true, spellcheck: false });
  const key = h('input', { name: 'secretKey', type: 'password', autocomplete: 'current-password', required: true });
  const region = h('select', { name: 'region' }, REGIONS.map((r) => h('option', { value: r }, r)));
  const form = h('form', { id: 'signin-admin', class: 'card' },
    h('p', { class: 'hint', 'data-i18n': 'signin.adminHint' }),
    field('signin.secretId', id), field('signin.secretKey', key), field('signin.region', region),
    h('button', { type: 'submit', 'data-i18n': 'signin.submit' }));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    msg.replaceChildren();
    const cred = { secretId: id.value.trim(), secretKey: key.value };
    key.value = '';
    const policy = encodeURIComponent(JSON.stringify(
      { version: '2.0', statement: [{ effect: 'allow', action: ['*'], resource: '*' }] }));
    try {
      const r = await callWith(cred, 'sts', '2018-08-13', 'GetFederationToken',
        { Name: 'console', Policy: policy, DurationSeconds: SESSION_SECONDS }, { region: region.value });
      done({ kind: 'admin', secretId: r.Credentials.TmpSecretId, secretKey: r.Credentials.TmpSecretKey,
        token: r.Credentials.Token, expiredTime: r.ExpiredTime, region: region.value,
        userName: cred.secretId.slice(0, 8) + '…' });
    } catch (e) {
      msg.replaceChildren(errorBox(e));
    } finally {
      cred.secretKey = '';
    }
  });
  return form;
}

function bastionForm(msg) {
  const owner = h('input', { name: 'ownerUin', required: true, inputmode: 'numeric' });
  const user = h('input', { name: 'userName', autocomplete: 'username', required: true });
  const pass = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const code = h('input', { name: 'code', inputmode: 'numeric', autocomplete: 'one-time-code', required: true, maxlength: 8 });
  const form = h('form', { id: 'signin-bastion', class: 'card' },
    h('p', { class: 'hint', 'data-i18n': 'signin.bastionHint' }),
    field('signin.ownerUin', owner), field('signin.userName', user), field('signin.password', pass),
    field('signin.code', code), h('button', { type: 'submit', 'data-i18n': 'signin.submit' }));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    msg.replaceChildren();
    const body = JSON.stringify({ OwnerUin: owner.value.trim(), UserName: user.value.trim(), Password: pass.value,
      Code: code.value.trim() });
    pass.value = '';
    code.value = '';
    try {
      const res = await fetch(apiUrl('console/signin/bastion'), { method: 'POST', body, credentials: 'omit',
        headers: { 'Content-Type': 'application/json' }, cache: 'no-store' });
      const r = await res.json();
      if (r.Error) throw new ApiError(r.Error.Code, r.Error.Message);
      done({ kind: 'bastion', secretId: r.Credentials.TmpSecretId, secretKey: r.Credentials.TmpSecretKey,
        token: r.Credentials.Token, expiredTime: r.ExpiredTime, region: 'ap-guangzhou', ownerUin: r.OwnerUin,
        userName: r.UserName, scope: r.Scope });
    } catch (e) {
      msg.replaceChildren(errorBox(e));
    }
  });
  return form;
}

export default {
  path: 'signin',
  title: 'nav.signin',
  public: true,
  async render(el) {
    const notice = session.takeNotice();
    const msg = h('div', { id: 'signin-message' });
    const admin = adminForm(msg);
    const bastion = bastionForm(msg);
    bastion.hidden = true;
    const tab = (name, form, other) => h('button', { type: 'button', class: 'tab', 'data-tab': name,
      onclick: (ev) => { form.hidden = false; other.hidden = true;
        for (const b of el.querySelectorAll('.tab')) b.classList.toggle('active', b === ev.currentTarget); } },
      h('span', { 'data-i18n': `signin.tab.${name}` }));
    el.append(h('h1', { 'data-i18n': 'signin.title' }),
      notice ? h('div', { id: 'signin-notice', class: 'notice', role: 'status' }, notice) : null,
      h('div', { class: 'tabs' }, tab('admin', admin, bastion), tab('bastion', bastion, admin)),
      admin, bastion, msg);
    el.querySelector('.tab').classList.add('active');
  },
};
