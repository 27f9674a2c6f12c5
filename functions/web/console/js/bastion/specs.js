// The bastion's object kinds as the admin page shows them: which actions list, create, modify and
// delete them, their filters (the list action's own parameters), columns and form fields.
import { h } from '../ui.js';

const names = (set, key = 'Name') => (set || []).map((x) => x[key]).join(', ');
const ids = (set) => (set || []).map((x) => x.Id);
const DEPT = { name: 'DepartmentId', label: 'bastion.f.department', type: 'text' };
const FROM = { name: 'ValidateFrom', label: 'bastion.f.validateFrom', type: 'text', placeholder: '2024-01-01T00:00:00+08:00' };
const TO = { name: 'ValidateTo', label: 'bastion.f.validateTo', type: 'text', placeholder: '2025-01-01T00:00:00+08:00' };
const KINDS = [[1, 'bastion.kind.1'], [2, 'bastion.kind.2'], [3, 'bastion.kind.3'], [4, 'bastion.kind.4']];
const AUTH = [[0, 'bastion.auth.0'], [1, 'bastion.auth.1'], [2, 'bastion.auth.2']];
const yes = (b) => (b ? '✓' : '');

const USER_FIELDS = [
  { name: 'RealName', label: 'bastion.f.realName', type: 'text', required: true },
  { name: 'Phone', label: 'bastion.f.phone', type: 'text', required: true, placeholder: '+852 61234567' },
  { name: 'Email', label: 'bastion.f.email', type: 'text' },
  { name: 'AuthType', label: 'bastion.f.authType', type: 'select', options: AUTH, numeric: true },
  { name: 'GroupIdSet', label: 'bastion.f.groupIds', type: 'ids' },
  FROM, TO, DEPT,
];
const GROUP_FIELDS = [{ name: 'Name', label: 'bastion.f.name', type: 'text', required: true }, DEPT];
const GROUP_COLUMNS = [
  { label: 'bastion.c.id', key: 'Id' },
  { label: 'bastion.c.name', key: 'Name' },
  { label: 'bastion.c.members', key: 'Count' },
  { label: 'bastion.c.department', render: (g) => (g.Department && g.Department.Name) || '' },
];
const ACL_SWITCHES = ['AllowDiskRedirect', 'AllowAnyAccount', 'AllowFileUp', 'AllowFileDown', 'AllowFileDel',
  'AllowClipTextUp', 'AllowClipTextDown', 'AllowAccessCredential', 'AllowKeyboardLogger'];
const ACL_FIELDS = [
  { name: 'Name', label: 'bastion.f.name', type: 'text', required: true },
  { name: 'UserIdSet', label: 'bastion.f.userIds', type: 'ids', keepEmpty: true },
  { name: 'UserGroupIdSet', label: 'bastion.f.userGroupIds', type: 'ids', keepEmpty: true },
  { name: 'DeviceIdSet', label: 'bastion.f.deviceIds', type: 'ids', keepEmpty: true },
  { name: 'DeviceGroupIdSet', label: 'bastion.f.deviceGroupIds', type: 'ids', keepEmpty: true },
  { name: 'AccountSet', label: 'bastion.f.accounts', type: 'list', keepEmpty: true, placeholder: 'root,ubuntu' },
  { name: 'CmdTemplateIdSet', label: 'bastion.f.cmdTemplateIds', type: 'ids', keepEmpty: true },
  ...ACL_SWITCHES.map((s) => ({ name: s, label: `bastion.acl.${s}`, type: 'bool' })),
  FROM, TO, DEPT,
];

export const SPECS = [
  {
    tab: 'users', title: 'bastion.tab.users', list: 'DescribeUsers', set: 'UserSet',
    create: 'CreateUser', modify: 'ModifyUser', del: 'DeleteUsers', name: (u) => u.UserName,
    filters: [
      { name: 'UserName', label: 'bastion.f.userName', type: 'text' },
      { name: 'Name', label: 'bastion.f.nameOrReal', type: 'text' },
      { name: 'Phone', label: 'bastion.f.phone', type: 'text' },
      { name: 'Email', label: 'bastion.f.email', type: 'text' },
      DEPT,
    ],
    columns: [
      { label: 'bastion.c.id', key: 'Id' },
      { label: 'bastion.c.userName', key: 'UserName' },
      { label: 'bastion.c.realName', key: 'RealName' },
      { label: 'bastion.c.phone', key: 'Phone' },
      { label: 'bastion.c.groups', render: (u) => names(u.GroupSet) },
      { label: 'bastion.c.status', render: (u) => (u.LockStatus ? 'locked' : u.ActiveStatus ? 'active' : 'inactive') },
    ],
    createFields: [{ name: 'UserName', label: 'bastion.f.userName', type: 'text', required: true }, ...USER_FIELDS],
    modifyFields: USER_FIELDS.map((f) => (f.name === 'Email' ? { ...f, keepEmpty: true } : f)),
    toForm: (u) => ({ ...u, GroupIdSet: ids(u.GroupSet) }),
  },
  {
    tab: 'user-groups', title: 'bastion.tab.userGroups', list: 'DescribeUserGroups', set: 'GroupSet',
    create: 'CreateUserGroup', modify: 'ModifyUserGroup', del: 'DeleteUserGroups', name: (g) => g.Name,
    filters: [{ name: 'Name', label: 'bastion.f.name', type: 'text' }, DEPT],
    columns: GROUP_COLUMNS, createFields: GROUP_FIELDS, modifyFields: GROUP_FIELDS,
  },
  {
    tab: 'devices', title: 'bastion.tab.devices', list: 'DescribeDevices', set: 'DeviceSet',
    create: 'ImportExternalDevice', modify: 'ModifyDevice', del: 'DeleteDevices', name: (d) => d.Name || d.PrivateIp,
    filters: [
      { name: 'Name', label: 'bastion.f.name', type: 'text' },
      { name: 'Ip', label: 'bastion.f.ip', type: 'text' },
      { name: 'Kind', label: 'bastion.f.kind', type: 'select', options: KINDS, numeric: true },
      { name: 'ManagedAccount', label: 'bastion.f.managed', type: 'select', options: [['0', 'bastion.no'], ['1', 'bastion.yes']] },
      DEPT,
    ],
    columns: [
      { label: 'bastion.c.id', key: 'Id' },
      { label: 'bastion.c.name', key: 'Name' },
      { label: 'bastion.c.ip', render: (d) => [d.PrivateIp, d.PublicIp].filter(Boolean).join(' / ') },
      { label: 'bastion.c.port', key: 'Port' },
      { label: 'bastion.c.os', key: 'OsName' },
      { label: 'bastion.c.accounts', key: 'AccountCount' },
      { label: 'bastion.c.groups', render: (d) => names(d.GroupSet) },
      { label: 'bastion.c.resource', render: (d) => (d.Resource && d.Resource.ResourceId) || '' },
    ],
    createFields: [
      { name: 'OsName', label: 'bastion.f.os', type: 'select', options: [['Linux', 'Linux'], ['Windows', 'Windows'], ['MySQL', 'MySQL']], required: true },
      { name: 'Ip', label: 'bastion.f.ip', type: 'text', required: true },
      { name: 'Port', label: 'bastion.f.port', type: 'number', required: true },
      { name: 'Name', label: 'bastion.f.name', type: 'text' },
      DEPT,
    ],
    createParams: (p) => ({ DeviceSet: [{ Port: 22, ...p }] }),
    modifyFields: [
      { name: 'Port', label: 'bastion.f.port', type: 'number' },
      { name: 'GroupIdSet', label: 'bastion.f.groupIds', type: 'ids', keepEmpty: true },
      { name: 'DomainId', label: 'bastion.f.domain', type: 'text' },
      DEPT,
    ],
    toForm: (d) => ({ ...d, GroupIdSet: ids(d.GroupSet) }),
  },
  {
    tab: 'device-groups', title: 'bastion.tab.deviceGroups', list: 'DescribeDeviceGroups', set: 'GroupSet',
    create: 'CreateDeviceGroup', modify: 'ModifyDeviceGroup', del: 'DeleteDeviceGroups', name: (g) => g.Name,
    filters: [{ name: 'Name', label: 'bastion.f.name', type: 'text' }, DEPT],
    columns: GROUP_COLUMNS, createFields: GROUP_FIELDS, modifyFields: GROUP_FIELDS,
  },
  {
    tab: 'accounts', title: 'bastion.tab.accounts', list: 'DescribeDeviceAccounts', set: 'DeviceAccountSet',
    create: 'CreateDeviceAccount', modify: 'BindDeviceAccountPassword', del: 'DeleteDeviceAccounts',
    editLabel: 'bastion.bindPassword', name: (a) => a.Account,
    filters: [
      { name: 'DeviceId', label: 'bastion.f.deviceId', type: 'number' },
      { name: 'Account', label: 'bastion.f.account', type: 'text' },
    ],
    columns: [
      { label: 'bastion.c.id', key: 'Id' },
      { label: 'bastion.c.deviceId', key: 'DeviceId' },
      { label: 'bastion.c.account', key: 'Account' },
      { label: 'bastion.c.password', render: (a) => yes(a.BoundPassword) },
      { label: 'bastion.c.privateKey', render: (a) => yes(a.BoundPrivateKey) },
    ],
    createFields: [
      { name: 'DeviceId', label: 'bastion.f.deviceId', type: 'number', required: true },
      { name: 'Account', label: 'bastion.f.account', type: 'text', required: true },
    ],
    modifyFields: [{ name: 'Password', label: 'bastion.f.password', type: 'text', required: true }],
    toForm: () => ({}),
  },
  {
    tab: 'templates', title: 'bastion.tab.templates', list: 'DescribeCmdTemplates', set: 'CmdTemplateSet',
    create: 'CreateCmdTemplate', modify: 'ModifyCmdTemplate', del: 'DeleteCmdTemplates', name: (c) => c.Name,
    filters: [
      { name: 'Name', label: 'bastion.f.name', type: 'text' },
      { name: 'Type', label: 'bastion.f.templateType', type: 'select', options: [[1, 'bastion.tt.1'], [2, 'bastion.tt.2']], numeric: true },
    ],
    columns: [
      { label: 'bastion.c.id', key: 'Id' },
      { label: 'bastion.c.name', key: 'Name' },
      { label: 'bastion.c.type', render: (c) => c.Type },
      { label: 'bastion.c.commands', render: (c) => h('code', { class: 'cmdlist' }, c.CmdList) },
    ],
    createFields: [
      { name: 'Name', label: 'bastion.f.name', type: 'text', required: true },
      { name: 'CmdList', label: 'bastion.f.cmdList', type: 'textarea', required: true },
    ],
    modifyFields: [
      { name: 'Name', label: 'bastion.f.name', type: 'text', required: true },
      { name: 'CmdList', label: 'bastion.f.cmdList', type: 'textarea', required: true },
    ],
  },
  {
    tab: 'acls', title: 'bastion.tab.acls', list: 'DescribeAcls', set: 'AclSet',
    create: 'CreateAcl', modify: 'ModifyAcl', del: 'DeleteAcls', name: (a) => a.Name,
    filters: [
      { name: 'Name', label: 'bastion.f.name', type: 'text' },
      { name: 'Status', label: 'bastion.f.aclStatus', type: 'select', options: [[1, 'bastion.as.1'], [2, 'bastion.as.2'], [3, 'bastion.as.3']], numeric: true },
      DEPT,
    ],
    columns: [
      { label: 'bastion.c.id', key: 'Id' },
      { label: 'bastion.c.name', key: 'Name' },
      { label: 'bastion.c.users', render: (a) => [names(a.UserSet, 'UserName'), names(a.UserGroupSet)].filter(Boolean).join(' · ') },
      { label: 'bastion.c.devices', render: (a) => [names(a.DeviceSet), names(a.DeviceGroupSet)].filter(Boolean).join(' · ') },
      { label: 'bastion.c.accounts', render: (a) => (a.AllowAnyAccount ? '*' : (a.AccountSet || []).join(', ')) },
      { label: 'bastion.c.templates', render: (a) => names(a.CmdTemplateSet) },
      { label: 'bastion.c.status', key: 'Status' },
    ],
    createFields: ACL_FIELDS, modifyFields: ACL_FIELDS,
    toForm: (a) => ({ ...a, UserIdSet: ids(a.UserSet), UserGroupIdSet: ids(a.UserGroupSet), DeviceIdSet: ids(a.DeviceSet),
      DeviceGroupIdSet: ids(a.DeviceGroupSet), CmdTemplateIdSet: ids(a.CmdTemplateSet) }),
  },
];
