// English. Keys "<page>.<what>"; each page's keys in its own block (keep zh.js in step).
export default {
  // ---- shell ----
  'nav.console': 'Console',
  'nav.signin': 'Sign in',
  'nav.signout': 'Sign out',
  'nav.audit': 'CloudAudit',
  'common.loading': 'Loading…',
  'common.loadMore': 'Load more',
  'common.noMore': 'No more results',
  'common.close': 'Close',
  'common.search': 'Search',
  'common.reset': 'Reset',
  'common.none': 'Nothing found',

  // ---- sign-in ----
  'signin.title': 'Sign in to the Guardzone console',
  'signin.tab.admin': 'API key (administrator)',
  'signin.tab.bastion': 'Bastion user',
  'signin.adminHint': 'The SecretKey is used only in this page to sign; it is never sent. After sign-in the browser holds a temporary key valid for one hour.',
  'signin.bastionHint': 'Sign in with your bastion user name, password and verification code (TOTP).',
  'signin.secretId': 'SecretId',
  'signin.secretKey': 'SecretKey',
  'signin.region': 'Region',
  'signin.ownerUin': 'Account ID (OwnerUin)',
  'signin.userName': 'User name',
  'signin.password': 'Password',
  'signin.code': 'Verification code',
  'signin.submit': 'Sign in',
  'signin.expired': 'Your session has expired (the temporary key is no longer valid): please sign in again.',

  // ---- CloudAudit ----
  'audit.title': 'Event history',
  'audit.start': 'From',
  'audit.end': 'To',
  'audit.attrKey': 'Attribute',
  'audit.attrValue': 'Value',
  'audit.addAttr': 'Add condition',
  'audit.removeAttr': 'Remove',
  'audit.keyword': 'Keyword',
  'audit.col.time': 'Event time',
  'audit.col.user': 'User',
  'audit.col.event': 'Event name',
  'audit.col.resourceType': 'Resource type',
  'audit.col.resourceName': 'Resource name',
  'audit.col.source': 'Event source',
  'audit.col.error': 'Error code',
  'audit.detail': 'Event detail',
  'audit.export': 'Export',
  'audit.exportBucket': 'COS bucket',
  'audit.exportFormat': 'Format',
  'audit.exportCreate': 'Create export task',
  'audit.exportWaiting': 'Export task {id} running…',
  'audit.exportReady': 'Export ready:',
  'audit.exportDownload': 'Download',
  'audit.exportFailed': 'Export failed: {status}',

  // ---- bastion admin and replay pages ----

  // ---- bastion operator: hosts and H5 terminal ----
};
