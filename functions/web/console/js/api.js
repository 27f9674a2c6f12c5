// The console's API client: every call is a signed TC3 request to this origin's API root, exactly
// as an SDK makes it. A page calls
//     const fields = await call('cloudaudit', '2019-03-04', 'LookupEvents', {StartTime, EndTime, ...});
// and gets the Response's fields (RequestId included) or an ApiError {code, message, requestId}.
// An expired temporary key (locally known, or AuthFailure.TokenFailure from the gateway) ends the
// session and sends the user back to sign-in with a message.
import { signedHeaders } from './tc3.js';
import * as session from './session.js';
import { lang, t } from './i18n.js';

export class ApiError extends Error {
  constructor(code, message, requestId = '') {
    super(`${code}: ${message}`);
    this.code = code;
    this.apiMessage = message;
    this.requestId = requestId;
  }
}

// The API root: the path before /console/ (a deployed stage keeps its prefix).
export function apiUrl(path = '') {
  const at = location.pathname.indexOf('/console/');
  const base = at >= 0 ? location.pathname.slice(0, at) : '';
  return `${location.origin}${base}/${path}`;
}

const EXPIRED_CODES = new Set(['AuthFailure.TokenFailure', 'AuthFailure.SecretIdNotFound']);

function expire() {
  session.end(t('signin.expired'));
  location.hash = '#/signin';
}

// Signs and sends with an explicit credential (sign-in uses it with the long-term key).
export async function callWith(cred, service, version, action, params = {}, { region } = {}) {
  const body = JSON.stringify(params);
  const headers = await signedHeaders(cred, { service, host: location.host, action, version, region, body,
    language: lang() === 'en' ? 'en-US' : 'zh-CN' });
  let res;
  try {
    res = await fetch(apiUrl(), { method: 'POST', headers, body, credentials: 'omit', cache: 'no-store' });
  } catch (e) {
    throw new ApiError('ClientError.Network', String(e && e.message || e));
  }
  let data;
  try { data = (await res.json()).Response; } catch { throw new ApiError('ClientError.BadResponse', `HTTP ${res.status}`); }
  if (!data) throw new ApiError('ClientError.BadResponse', `HTTP ${res.status}`);
  if (data.Error) throw new ApiError(data.Error.Code, data.Error.Message, data.RequestId);
  return data;
}

// With the session's temporary key.
export async function call(service, version, action, params = {}, { region } = {}) {
  const s = session.current();
  if (session.isExpired(s)) {
    expire();
    throw new ApiError('AuthFailure.TokenFailure', t('signin.expired'));
  }
  try {
    return await callWith(s, service, version, action, params, { region: region ?? s.region });
  } catch (e) {
    if (e instanceof ApiError && EXPIRED_CODES.has(e.code)) expire();
    throw e;
  }
}
