// TC3-HMAC-SHA256 in the browser (WebCrypto), as the official SDKs sign: POST application/json,
// SignedHeaders content-type;host, canonical URI "/", empty query. The key never leaves the page.
const enc = new TextEncoder();

function hex(buf) {
  return Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');
}

export async function sha256Hex(text) {
  return hex(await crypto.subtle.digest('SHA-256', enc.encode(text)));
}

async function hmac(key, msg) {
  const k = await crypto.subtle.importKey('raw', typeof key === 'string' ? enc.encode(key) : key,
    { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return crypto.subtle.sign('HMAC', k, enc.encode(msg));
}

// -> the request headers (without Host, which the browser sends as `host`).
export async function signedHeaders({ secretId, secretKey, token }, { service, host, action, version, region,
  body, timestamp = Math.floor(Date.now() / 1000), language }) {
  const date = new Date(timestamp * 1000).toISOString().slice(0, 10);
  const contentType = 'application/json; charset=utf-8';
  const canonical = ['POST', '/', '', `content-type:${contentType}\nhost:${host}\n`, 'content-type;host',
    await sha256Hex(body)].join('\n');
  const scope = `${date}/${service}/tc3_request`;
  const toSign = ['TC3-HMAC-SHA256', String(timestamp), scope, await sha256Hex(canonical)].join('\n');
  const kDate = await hmac('TC3' + secretKey, date);
  const kService = await hmac(kDate, service);
  const kSigning = await hmac(kService, 'tc3_request');
  const signature = hex(await hmac(kSigning, toSign));
  const headers = {
    'Content-Type': contentType,
    Authorization: `TC3-HMAC-SHA256 Credential=${secretId}/${scope}, SignedHeaders=content-type;host, Signature=${signature}`,
    'X-TC-Action': action,
    'X-TC-Version': version,
    'X-TC-Timestamp': String(timestamp),
  };
  if (region) headers['X-TC-Region'] = region;
  if (token) headers['X-TC-Token'] = token;
  if (language) headers['X-TC-Language'] = language;
  return headers;
}
