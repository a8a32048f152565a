// 公众服务: the public portal of issue 12 — air now, water sections,
// enterprise compliance and the open data API — for everyone, signed in or
// not, made for a phone first.
import type { Feature } from '../types'

const zh = {
  nav: { portal: '公众服务', air: '空气质量', water: '水环境', enterprises: '企业达标', targets: '目标进展', data: '开放数据' },
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
    inspections: '双随机抽查结果', noInspections: '暂无已完成的随机抽查。', inspectedOn: '检查日期', period: '抽查期', outcome: '检查结果', followUp: '后续处理',
    outcomes: { no_problem: '未发现问题', problems: '发现问题', referral: '移送处罚' } as Record<string, string>,
    followUps: { none: '无', rectification: '责令整改', referral: '移送处罚' } as Record<string, string>,
    cases: '整改案件', noCases: '暂无可公开的整改案件。', caseNo: '编号', source: '来源', category: '类别', state: '状态', opened: '立案日期',
    deadline: '整改期限', closedOn: '销号日期', level: '督办', recurrences: '反弹 {n} 次',
    casesNote: '公开已交办的整改案件（来源为在线监测报警、经核实的举报、执法检查和各级督察等）；不公开办理人员、内部意见和整改方案。',
    states: { rectifying: '整改中', verifying: '核查中', closed: '已销号' } as Record<string, string>,
    levels: { supervised: '督办', listed: '挂牌督办' } as Record<string, string>,
    sources: {
      alarm: '在线监测报警', complaint: '群众举报', inspection: '执法检查', 'central-inspection': '中央生态环境保护督察',
      'central-inspection-follow-up': '中央督察“回头看”', 'yangtze-warning-film': '长江经济带警示片', 'npc-enforcement-inspection': '人大执法检查',
      'provincial-inspection': '省级生态环境保护督察',
    } as Record<string, string>,
    categories: { air: '大气', water: '水', soil: '土壤', 'solid-waste': '固体废物', ecology: '生态', noise: '噪声', radiation: '辐射' } as Record<string, string>,
  },
  targets: {
    title: '年度目标进展', year: '年度', asOf: '数据截至 {d}', final: '全年', province: '全省', cities: '各市州',
    target: '目标', value: '本年累计', lastYear: '去年同期', noValue: '暂无数据', none: '本年度尚未公布目标。',
    map: '各市州目标状态', mapOf: '按指标着色', city: '市州', pick: '查看市州',
    simulated: '演示数据：{list} 的空气数据为模拟数据（SIMULATED），不代表实际监测结果。',
    note: '进展按本年 1 月 1 日至截至日的监测数据计算；“进度正常”“有风险”为年中判断，全年结束后为“已达标”或“未达标”。',
    statuses: { met: '已达标', on_track: '进度正常', at_risk: '有风险', missed: '未达标', no_data: '无数据' } as Record<string, string>,
    units: { days: '天', cities: '个', '10k mu': '万亩' } as Record<string, string>,
    indicators: {
      pm25_annual_mean: 'PM2.5 年均浓度', good_day_ratio: '优良天数比例', heavy_pollution_days_total: '重污染天数',
      cities_attaining_grade2: '达到二级标准城市数', surface_water_good_ratio: '地表水Ⅰ–Ⅲ类比例', drinking_water_class3_ratio: '饮用水水源达标比例',
      black_odorous_water_elimination: '黑臭水体消除比例', farmland_safe_use_and_control: '受污染耕地安全利用和严格管控',
      farmland_safe_use: '受污染耕地安全利用', farmland_strict_control: '受污染耕地严格管控',
      contaminated_land_safe_use_ratio: '污染地块安全利用率', emission_reduction_completed_ratio: '主要污染物总量减排任务完成比例',
    } as Record<string, string>,
  },
  data: {
    title: '开放数据', intro: '空气、水质和污染源监测数据向社会开放：接口只读、有版本，支持 JSON 与 CSV，另提供按日打包的批量下载文件（附 SHA-256 校验值）。',
    api: '数据接口', docs: '接口文档（OpenAPI）', bulk: '批量下载', cli: '命令行一次下载一年数据',
    kinds: '批量文件按日生成：hourly（小时值）、daily（日均值）、aqi-daily（各市州和各站点的日 AQI）。',
    limits: '匿名访问按 IP 限制频率；申请 API 密钥并经管理员批准后可提高上限。', keyTitle: '申请 API 密钥',
    name: '姓名', org: '单位', email: '电子邮箱', purpose: '用途说明', submit: '提交申请', yourKey: '您的密钥（只显示这一次，请立即保存）：',
    pending: '待审批的密钥申请', approve: '批准', reject: '驳回', created: '申请时间', status: '状态', noPending: '没有待审批的申请。',
    statuses: { pending: '待审批', approved: '已批准', rejected: '已驳回', revoked: '已撤销' },
  },
}

const en: typeof zh = {
  nav: { portal: 'Public', air: 'Air quality', water: 'Water', enterprises: 'Compliance', targets: 'Targets', data: 'Open data' },
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
    inspections: 'Random inspections', noInspections: 'No completed random inspection yet.', inspectedOn: 'Inspected on', period: 'Period', outcome: 'Result', followUp: 'Follow-up',
    outcomes: { no_problem: 'no problem found', problems: 'problems found', referral: 'referred for penalty' },
    followUps: { none: 'none', rectification: 'rectification ordered', referral: 'referred for penalty' },
    cases: 'Rectification cases', noCases: 'No rectification case to publish.', caseNo: 'No.', source: 'Source', category: 'Category', state: 'State', opened: 'Opened',
    deadline: 'Deadline', closedOn: 'Closed', level: 'Supervision', recurrences: 'recurred {n}×',
    casesNote: 'Published once assigned, for cases from monitoring alarms, verified complaints, inspections and environmental inspections; the people handling them, internal notes and rectification plans are not published.',
    states: { rectifying: 'being rectified', verifying: 'being verified', closed: 'closed' },
    levels: { supervised: 'supervised', listed: 'publicly listed' },
    sources: {
      alarm: 'monitoring alarm', complaint: 'public complaint', inspection: 'inspection', 'central-inspection': 'central environmental inspection',
      'central-inspection-follow-up': 'central inspection follow-up', 'yangtze-warning-film': 'Yangtze warning film', 'npc-enforcement-inspection': 'NPC enforcement inspection',
      'provincial-inspection': 'provincial environmental inspection',
    },
    categories: { air: 'air', water: 'water', soil: 'soil', 'solid-waste': 'solid waste', ecology: 'ecology', noise: 'noise', radiation: 'radiation' },
  },
  targets: {
    title: 'Progress towards this year’s goals', year: 'Year', asOf: 'Data up to {d}', final: 'whole year', province: 'Province', cities: 'Cities',
    target: 'Goal', value: 'Year to date', lastYear: 'Same period last year', noValue: 'no data yet', none: 'No goals published for this year yet.',
    map: 'Status of the goals by city', mapOf: 'Colour by', city: 'City', pick: 'Show a city',
    simulated: 'Demonstration data: the air data of {list} are SIMULATED and are not real measurements.',
    note: 'Progress counts the monitoring data from 1 January to the date shown; “on track” and “at risk” are mid-year judgements, which become “met” or “missed” once the year is over.',
    statuses: { met: 'met', on_track: 'on track', at_risk: 'at risk', missed: 'missed', no_data: 'no data' },
    units: { days: 'days', cities: 'cities', '10k mu': '10,000 mu' },
    indicators: {
      pm25_annual_mean: 'PM2.5 annual mean', good_day_ratio: 'Good-day ratio', heavy_pollution_days_total: 'Heavy-pollution days',
      cities_attaining_grade2: 'Cities at Grade II', surface_water_good_ratio: 'Surface water at Class I–III', drinking_water_class3_ratio: 'Drinking-water sources at Class III or better',
      black_odorous_water_elimination: 'Black-odorous water bodies eliminated', farmland_safe_use_and_control: 'Contaminated farmland, safe use and strict control',
      farmland_safe_use: 'Contaminated farmland, safe use', farmland_strict_control: 'Contaminated farmland, strict control',
      contaminated_land_safe_use_ratio: 'Contaminated sites safely used', emission_reduction_completed_ratio: 'Emission-reduction quotas completed',
    },
  },
  data: {
    title: 'Open data', intro: 'Air, water and emission monitoring data are open to everyone: a read-only, versioned API in JSON and CSV, and daily bulk files with SHA-256 checksums.',
    api: 'API', docs: 'API reference (OpenAPI)', bulk: 'Bulk downloads', cli: 'A year of data with one command',
    kinds: 'One bulk file per day and kind: hourly (hourly values), daily (daily means), aqi-daily (the daily AQI of every city and station).',
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
    { path: '/public/targets', name: 'public-targets', component: () => import('./PublicTargets.vue'), meta: { public: true } },
    { path: '/public/data', name: 'public-data', component: () => import('./PublicData.vue'), meta: { public: true } },
  ],
  nav: [{ to: '/public', key: 'public.nav.portal', show: () => true, order: 90 }],
  messages: { 'zh-CN': zh, en },
}
export default feature
