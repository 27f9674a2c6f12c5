// 中文. Keys "<page>.<what>"; each page's keys in its own block (keep en.js in step).
export default {
  // ---- shell ----
  'nav.console': '控制台',
  'nav.signin': '登录',
  'nav.signout': '退出',
  'nav.audit': '云审计',
  'common.loading': '加载中…',
  'common.loadMore': '加载更多',
  'common.noMore': '没有更多了',
  'common.close': '关闭',
  'common.search': '查询',
  'common.reset': '重置',
  'common.none': '暂无数据',

  // ---- sign-in ----
  'signin.title': '登录 Guardzone 控制台',
  'signin.tab.admin': 'API 密钥（管理员）',
  'signin.tab.bastion': '堡垒机用户',
  'signin.adminHint': 'SecretKey 只在本页面中用于签名，不会发送到服务端；登录后浏览器只持有一小时有效的临时密钥。',
  'signin.bastionHint': '使用堡垒机用户名、密码和动态口令（TOTP）登录。',
  'signin.secretId': 'SecretId',
  'signin.secretKey': 'SecretKey',
  'signin.region': '地域',
  'signin.ownerUin': '主账号 ID（OwnerUin）',
  'signin.userName': '用户名',
  'signin.password': '密码',
  'signin.code': '动态口令',
  'signin.submit': '登录',
  'signin.expired': '登录已过期（临时密钥已失效），请重新登录。',

  // ---- CloudAudit ----
  'audit.title': '操作记录',
  'audit.start': '开始时间',
  'audit.end': '结束时间',
  'audit.attrKey': '属性',
  'audit.attrValue': '属性值',
  'audit.addAttr': '添加条件',
  'audit.removeAttr': '删除',
  'audit.keyword': '关键字',
  'audit.col.time': '事件时间',
  'audit.col.user': '用户名',
  'audit.col.event': '事件名称',
  'audit.col.resourceType': '资源类型',
  'audit.col.resourceName': '资源名称',
  'audit.col.source': '事件来源',
  'audit.col.error': '错误码',
  'audit.detail': '事件详情',
  'audit.export': '导出',
  'audit.exportBucket': 'COS 存储桶',
  'audit.exportFormat': '格式',
  'audit.exportCreate': '创建导出任务',
  'audit.exportWaiting': '导出任务 {id} 进行中…',
  'audit.exportReady': '导出完成：',
  'audit.exportDownload': '下载',
  'audit.exportFailed': '导出失败：{status}',

  // ---- bastion admin and replay pages ----

  // ---- bastion operator: hosts and H5 terminal ----
};
