// 公众服务: the public portal of issue 12 — air now, water sections,
// enterprise compliance and the open data API — for everyone, signed in or
// not, made for a phone first.
import type { Feature } from '../types'

const zh = {
  nav: { portal: '公众服务', air: '空气质量', water: '水环境', enterprises: '企业达标', data: '开放数据' },
  air: {
    title: '实时空气质量', updated: '数据时间 {t}', city: '城市', pick: '选择城市', primary: '首要污染物', none: '无',
    advice: '健康影响', measure: '建议措施', last24: '最近 24 小时', last30: '最近 30 天', stations: '监测站点',
    station: '站点', map: '全省空气质量', background: '对照点', noCity: '该城市暂无数据', values: '各项浓度',
  },
  water: {
    title: '地表水断面水质', section: '断面', kind: '类型', target: '目标', latest: '最新月份水质', trend: '本年逐月水质',
    attained: '达标', notAttained: '未达标', main: '主要污染物', month: '{m}月', noData: '本年暂无评价结果',
    note: '按 GB 3838-2002 单因子评价各月均值（环办〔2011〕22号）。',
    kinds: { water_section: '地表水断面', water_station: '水质自动站', drinking_source: '饮用水水源地' },
  },
  ent: {
    title: '重点排污单位达标情况', search: '按名称或统一社会信用代码查找', name: '单位名称', code: '统一社会信用代码',
    industry: '行业代码', keyUnits: '重点排污类别', permit: '排污许可证编号', address: '地址', outlets: '排放口',
    factor: '监测因子', limit: '排放限值', standard: '执行标准', latest: '最新小时值', time: '时间', flag: '标记',
    hours: '本年有效小时', exceedance: '本年超标小时', exceeded: '超标', ok: '达标', noLimit: '无限值',
    converted: '折算值', noOutlets: '该单位没有公开的排放口。', back: '返回列表', year: '{y} 年',
    note: '超标小时数由小时均值与排放限值逐时比较得出；带有维护、校准、故障等标记的数据不参与判定。',
  },
  data: {
    title: '开放数据', intro: '空气、水质和污染源监测数据向社会开放：接口只读、有版本，支持 JSON 与 CSV，另提供按日打包的批量下载文件（附 SHA-256 校验值）。',
    api: '数据接口', docs: '接口文档（OpenAPI）', bulk: '批量下载', cli: '命令行一次下载一年数据',
    limits: '匿名访问按 IP 限制频率；申请 API 密钥并经管理员批准后可提高上限。', keyTitle: '申请 API 密钥',
    name: '姓名', org: '单位', email: '电子邮箱', purpose: '用途说明', submit: '提交申请', yourKey: '您的密钥（只显示这一次，请立即保存）：',
    pending: '待审批的密钥申请', approve: '批准', reject: '驳回', created: '申请时间', status: '状态', noPending: '没有待审批的申请。',
    statuses: { pending: '待审批', approved: '已批准', rejected: '已驳回', revoked: '已撤销' },
  },
}

const en: typeof zh = {
  nav: { portal: 'Public', air: 'Air quality', water: 'Water', enterprises: 'Compliance', data: 'Open data' },
  air: {
    title: 'Air quality now', updated: 'Data for {t}', city: 'City', pick: 'Choose a city', primary: 'Primary pollutant', none: 'none',
    advice: 'Health effects', measure: 'What to do', last24: 'Last 24 hours', last30: 'Last 30 days', stations: 'Monitoring stations',
    station: 'Station', map: 'Air quality in the province', background: 'background', noCity: 'No data for this city yet', values: 'Concentrations',
  },
  water: {
    title: 'Surface water sections', section: 'Section', kind: 'Type', target: 'Target', latest: 'Latest month', trend: 'Month by month this year',
    attained: 'meets target', notAttained: 'misses target', main: 'Main pollutants', month: 'M{m}', noData: 'No assessment this year yet',
    note: 'Each month’s mean judged item by item against GB 3838-2002 (2011 evaluation method).',
    kinds: { water_section: 'river/lake section', water_station: 'automatic station', drinking_source: 'drinking-water source' },
  },
  ent: {
    title: 'Compliance of key dischargers', search: 'Search by name or credit code', name: 'Enterprise', code: 'Credit code',
    industry: 'Industry code', keyUnits: 'Key-unit lists', permit: 'Discharge permit', address: 'Address', outlets: 'Outlets',
    factor: 'Factor', limit: 'Limit', standard: 'Standard', latest: 'Latest hour', time: 'Time', flag: 'Flag',
    hours: 'Valid hours this year', exceedance: 'Exceedance hours this year', exceeded: 'exceeded', ok: 'within limit', noLimit: 'no limit',
    converted: 'O2-converted', noOutlets: 'This enterprise has no published outlets.', back: 'Back to the list', year: '{y}',
    note: 'Exceedance hours compare every hourly mean with the limit in force; values flagged for maintenance, calibration or faults are not judged.',
  },
  data: {
    title: 'Open data', intro: 'Air, water and emission monitoring data are open to everyone: a read-only, versioned API in JSON and CSV, and daily bulk files with SHA-256 checksums.',
    api: 'API', docs: 'API reference (OpenAPI)', bulk: 'Bulk downloads', cli: 'A year of data with one command',
    limits: 'Anonymous use is rate-limited per address; an API key approved by an administrator raises the limit.', keyTitle: 'Request an API key',
    name: 'Name', org: 'Organisation', email: 'E-mail', purpose: 'What you will use the data for', submit: 'Send the request', yourKey: 'Your key (shown only once; keep it now):',
    pending: 'Key requests to decide', approve: 'Approve', reject: 'Reject', created: 'Requested', status: 'Status', noPending: 'No requests waiting.',
    statuses: { pending: 'pending', approved: 'approved', rejected: 'rejected', revoked: 'revoked' },
  },
}

const feature: Feature = {
  name: 'public',
  routes: [
    { path: '/public', name: 'public-air', component: () => import('./PublicAir.vue'), meta: { public: true } },
    { path: '/public/water', name: 'public-water', component: () => import('./PublicWater.vue'), meta: { public: true } },
    { path: '/public/enterprises', name: 'public-enterprises', component: () => import('./PublicEnterprises.vue'), meta: { public: true } },
    { path: '/public/enterprises/:code', name: 'public-compliance', component: () => import('./PublicCompliance.vue'), props: true, meta: { public: true } },
    { path: '/public/data', name: 'public-data', component: () => import('./PublicData.vue'), meta: { public: true } },
  ],
  nav: [{ to: '/public', key: 'public.nav.portal', show: () => true, order: 90 }],
  messages: { 'zh-CN': zh, en },
}
export default feature
