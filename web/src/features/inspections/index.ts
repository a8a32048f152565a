// 双随机、一公开 random inspections (issue 10): plan and run a draw, the
// draw record anyone can re-check, an officer's tasks and inspection form,
// remote-enforcement leads, statistics on the command centre, and the
// public results page (no sign-in).
import type { Feature } from '../types'
import { session } from '../../lib/api'
import StatsPanel from './StatsPanel.vue'

const supervisor = () => ['admin', 'province', 'city'].includes(session.user?.role ?? '')
const operator = () => supervisor() || session.user?.role === 'enforcement'

const zh = {
  nav: { draws: '随机抽查', tasks: '检查任务', leads: '执法线索', public: '抽查公示' },
  group: { key: '重点排污单位', focus: '重点关注（近期报警/投诉/违法）', general: '一般排污单位' },
  source: { random: '双随机抽查', targeted: '专项检查', remote: '非现场执法线索' },
  outcome: { no_problem: '未发现问题', problems: '发现问题', referral: '移送处罚' },
  followUp: { none: '无', rectification: '责令整改', referral: '移送处罚' },
  state: { frozen: '已冻结名录（待抽取）', drawn: '已抽取', refused: '方案无法满足', open: '待检查', done: '已完成' },
  plan: {
    title: '制定抽查方案', region: '抽查区域（行政区划代码）', period: '抽查期（如 2026Q4）', ratio: '抽查比例', teams: '检查组数', size: '每组人数',
    exclude: '近期已检查排除（天）', homeCounty: '回避原籍区县', freeze: '冻结名录并公布哈希', seed: '随机种子（可填外部种子，如彩票开奖号；留空由系统生成）',
    run: '执行抽取', confirmRun: '确认执行抽取？抽取结果一经产生不可修改，如需重抽须新建并说明理由。', redraw: '重新抽取', reason: '重抽理由',
  },
  draws: { title: '抽查记录', id: '编号', period: '抽查期', region: '区域', state: '状态', enterprises: '企业名录', officers: '执法人员名录', open: '查看' },
  record: {
    title: '抽查记录 #{id}', planHash: '方案哈希', entHash: '检查对象名录哈希', offHash: '执法人员名录哈希', seed: '随机种子', seedSource: '种子来源',
    frozenAt: '名录冻结时间', drawnAt: '抽取时间', resultHash: '结果哈希', groups: '分组抽取情况', size: '名录数', excluded: '近期已检查排除', drawn: '抽取数',
    teams: '检查组', team: '组', assignments: '抽取结果', enterprise: '企业', downloads: '下载（可用 ecowatch inspect verify-draw 复核）',
    unpublished: '抽查结果及名录快照将于抽查期结束或全部检查完成后公布；此前公布哈希与种子，结果哈希锁定抽取结果。', refusal: '未能抽取的原因', redrawOf: '重抽自 #{id}',
  },
  tasks: { title: '检查任务', mine: '我的检查任务', enterprise: '企业', source: '来源', state: '状态', outcome: '结果', officers: '检查人员', notifications: '新通知 {n} 条', markRead: '标记已读', open: '办理' },
  task: {
    title: '现场检查 #{id}', checklist: '检查清单（按行业）', ok: '符合', note: '说明', findings: '发现的问题', addFinding: '添加问题', finding: '问题描述',
    attach: '附件（照片或 PDF）', outcome: '检查结论', minutes: '用时（分钟）', date: '检查日期', summary: '检查小结', submit: '提交检查记录',
    done: '检查已完成', case: '整改案件 #{id}', casePending: '问题尚未转为整改案件', openCase: '转为整改案件', remove: '删除', attachment: '附件{id}',
  },
  leads: { title: '非现场执法线索', hint: '依据在线监测数据排序：连续超标、数据恒值、长时间维护、治污设施停运、排放时浓度异常偏低', score: '线索分', evidence: '证据', hours: '{n} 小时', frames: '原始报文', chart: '监测曲线' },
  evidence: { exceedance: '超标', flat_line: '恒值', maintenance: '维护/故障标记', facility_off: '治污设施停运', suspicious: '排放时浓度异常偏低' },
  stats: { title: '双随机抽查统计', coverage: '分组覆盖率', planned: '应抽', done: '已检', ratio: '比例', findings: '问题发现率', tasks: '任务', perOfficer: '人均检查' },
  pool: {
    title: '执法检查人员名录库', id: '账号', name: '姓名', homeCounty: '原籍区县', certificate: '执法证号', validUntil: '执法证有效期至', available: '可参与抽查',
    links: '利害关系企业（回避）', linksHint: '统一社会信用代码，逗号分隔', edit: '编辑', save: '保存',
  },
  targeted: { title: '派发专项检查（报警、投诉）', credit: '企业统一社会信用代码', ref: '来源（如 alarm:42、complaint:7）' },
  remote: { create: '派发检查任务', title: '派发非现场执法线索核查任务', officers: '检查人员（至少两名）', created: '已派发任务 #{id}' },
  public: { title: '双随机抽查结果公示', city: '市州代码', period: '抽查期', results: '检查结果', date: '检查日期', followUp: '后续处理', draws: '抽查记录与哈希', verify: '复核' },
}

const en: typeof zh = {
  nav: { draws: 'Random draws', tasks: 'Inspections', leads: 'Leads', public: 'Inspection results' },
  group: { key: 'Key units', focus: 'Focus (recent alarms, complaints, violations)', general: 'General' },
  source: { random: 'Random', targeted: 'Targeted', remote: 'Remote lead' },
  outcome: { no_problem: 'No problem', problems: 'Problems found', referral: 'Referred for penalty' },
  followUp: { none: 'None', rectification: 'Rectification', referral: 'Referred for penalty' },
  state: { frozen: 'Pools frozen (not drawn)', drawn: 'Drawn', refused: 'Plan refused', open: 'Open', done: 'Done' },
  plan: {
    title: 'Plan a draw', region: 'Region (GB/T 2260 code)', period: 'Period (e.g. 2026Q4)', ratio: 'Ratio', teams: 'Teams', size: 'Officers per team',
    exclude: 'Exclude inspected within (days)', homeCounty: 'Officers avoid their home county', freeze: 'Freeze pools and publish hashes',
    seed: 'Seed (an external one, e.g. a lottery result; empty: generated)', run: 'Draw', confirmRun: 'Draw now? A draw cannot be changed; a redraw is a new draw with a reason.',
    redraw: 'Redraw', reason: 'Reason for the redraw',
  },
  draws: { title: 'Draws', id: 'No.', period: 'Period', region: 'Region', state: 'State', enterprises: 'Enterprise pool', officers: 'Officer pool', open: 'Open' },
  record: {
    title: 'Draw #{id}', planHash: 'Plan hash', entHash: 'Enterprise pool hash', offHash: 'Officer pool hash', seed: 'Seed', seedSource: 'Seed source',
    frozenAt: 'Pools frozen', drawnAt: 'Drawn', resultHash: 'Result hash', groups: 'Groups', size: 'In pool', excluded: 'Recently inspected', drawn: 'Drawn',
    teams: 'Teams', team: 'Team', assignments: 'Drawn enterprises', enterprise: 'Enterprise', downloads: 'Downloads (re-check with ecowatch inspect verify-draw)',
    unpublished: 'The result and pool snapshots are published after the period or once every inspection is done; until then the hashes and seed are public and the result hash commits to the result.',
    refusal: 'Why the plan was refused', redrawOf: 'Redraw of #{id}',
  },
  tasks: { title: 'Inspection tasks', mine: 'My inspection tasks', enterprise: 'Enterprise', source: 'Source', state: 'State', outcome: 'Outcome', officers: 'Officers', notifications: '{n} new notifications', markRead: 'Mark read', open: 'Open' },
  task: {
    title: 'Inspection #{id}', checklist: 'Checklist (by industry)', ok: 'OK', note: 'Note', findings: 'Findings', addFinding: 'Add a finding', finding: 'What was found',
    attach: 'Attachment (photo or PDF)', outcome: 'Outcome', minutes: 'Time spent (minutes)', date: 'Inspected on', summary: 'Summary', submit: 'Submit the record',
    done: 'Inspection done', case: 'Rectification case #{id}', casePending: 'No rectification case opened yet', openCase: 'Open a rectification case', remove: 'Remove', attachment: 'attachment {id}',
  },
  leads: { title: 'Remote enforcement leads', hint: 'Ranked by online data: repeated exceedances, flat-lined values, long maintenance, facilities switched off, clean readings while discharging', score: 'Score', evidence: 'Evidence', hours: '{n} h', frames: 'Raw frames', chart: 'Chart' },
  evidence: { exceedance: 'Exceedance', flat_line: 'Flat-lined', maintenance: 'Maintenance/fault flags', facility_off: 'Facility off', suspicious: 'Too clean while discharging' },
  stats: { title: 'Random inspections', coverage: 'Coverage by group', planned: 'Planned', done: 'Done', ratio: 'Ratio', findings: 'Findings rate', tasks: 'Tasks', perOfficer: 'Per officer' },
  pool: {
    title: 'Inspector pool', id: 'Account', name: 'Name', homeCounty: 'Home county', certificate: 'Certificate', validUntil: 'Certificate valid until', available: 'Available',
    links: 'Linked enterprises (conflicts)', linksHint: 'credit codes, comma-separated', edit: 'Edit', save: 'Save',
  },
  targeted: { title: 'Assign a targeted inspection (alarm, complaint)', credit: 'Enterprise credit code', ref: 'Source (e.g. alarm:42, complaint:7)' },
  remote: { create: 'Assign an inspection', title: 'Assign an inspection of a remote lead', officers: 'Officers (at least two)', created: 'Task #{id} assigned' },
  public: { title: 'Random inspection results', city: 'City code', period: 'Period', results: 'Results', date: 'Date', followUp: 'Follow-up', draws: 'Draws and hashes', verify: 'Re-check' },
}

const feature: Feature = {
  name: 'inspections',
  routes: [
    { path: '/inspections/draws', name: 'inspection-draws', component: () => import('./Draws.vue') },
    { path: '/inspections/draws/:id', name: 'inspection-draw', component: () => import('./DrawRecord.vue'), props: true },
    { path: '/inspections/tasks', name: 'inspection-tasks', component: () => import('./Tasks.vue') },
    { path: '/inspections/tasks/:id', name: 'inspection-task', component: () => import('./Task.vue'), props: true },
    { path: '/inspections/leads', name: 'inspection-leads', component: () => import('./Leads.vue') },
    { path: '/public/inspections', name: 'inspection-public', component: () => import('./Public.vue'), meta: { public: true } },
    { path: '/public/inspections/draws/:id', name: 'inspection-public-draw', component: () => import('./DrawRecord.vue'), props: (r) => ({ id: r.params.id, pub: true }), meta: { public: true } },
  ],
  nav: [
    { to: '/inspections/draws', key: 'inspections.nav.draws', show: supervisor, order: 60 },
    { to: '/inspections/tasks', key: 'inspections.nav.tasks', show: operator, order: 61 },
    { to: '/inspections/leads', key: 'inspections.nav.leads', show: operator, order: 62 },
    { to: '/public/inspections', key: 'inspections.nav.public', show: () => true, order: 90 },
  ],
  messages: { 'zh-CN': zh, en },
  panels: [{ component: StatsPanel, order: 60 }],
}
export default feature
