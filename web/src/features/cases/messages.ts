// Texts of the cases feature: cases (整改/销号), public complaints (举报)
// and audit history. Chinese first; the English object is typed against it.
const zh = {
  nav: { cases: '整改案件', complaints: '举报受理', complain: '我要举报' },
  state: {
    registered: '已登记', assigned: '已交办', rectifying: '整改中', submitted: '待核查', verified: '已核查',
    closed: '已销号', returned: '已退回', reopened: '已重启', open: '未销号',
  },
  action: {
    assign: '交办', start: '开始整改', report: '报送进展', submit: '申请核查', verify: '核查通过', return: '退回',
    close: '销号', reopen: '重启', register: '登记', escalate: '升级督办', recur: '问题反弹',
  },
  level: { none: '—', reminder: '提醒', escalation: '督办', listed: '挂牌督办' },
  source: {
    alarm: '监控报警', complaint: '群众举报', inspection: '执法检查', hazard: '隐患排查',
    'central-inspection': '中央环保督察', 'central-inspection-follow-up': '中央环保督察"回头看"',
    'yangtze-warning-film': '长江经济带警示片', 'npc-enforcement-inspection': '全国人大执法检查',
    'provincial-inspection': '省级环保督察', 'leaders-instruction': '领导批示',
  },
  category: { air: '大气', water: '水', soil: '土壤', 'solid-waste': '固体废物', ecology: '生态', noise: '噪声', radiation: '辐射' },
  severity: { low: '一般', medium: '较重', high: '严重', critical: '特别严重' },
  method: { 'on-site': '现场核查', remote: '非现场核查' },
  list: {
    title: '整改案件', board: '看板', table: '列表', new: '登记案件', allStates: '全部状态', allSources: '全部来源',
    overdueOnly: '只看逾期', region: '行政区代码', department: '部门代码', search: '搜索标题', id: '编号', titleCol: '问题',
    source: '来源', region_name: '地区', deadline: '整改时限', stateCol: '状态', levelCol: '督办', overdue: '已逾期', empty: '暂无案件',
  },
  form: {
    title: '问题描述（标题）', description: '详细情况', source: '来源', category: '类别', severity: '严重程度', region: '行政区代码',
    enterprise: '企业信用代码（可选）', point: '点位编码（可选）', lead: '牵头单位（部门代码）', units: '责任单位（部门代码，逗号分隔）',
    deadline: '整改时限', save: '登记', cancel: '取消',
  },
  page: {
    back: '返回列表', timeline: '办理过程', audit: '审计记录', plan: '整改方案', milestones: '节点', assignee: '整改责任人',
    actions: '办理', note: '说明', files: '附件（图片、PDF、Office 文档，单个不超过 10 MB）', method: '核查方式',
    noActions: '您当前无可办理事项。', recurrences: '反弹次数', verifiedBy: '核查人', submittedBy: '申请人', closedBy: '销号人',
    milestoneTitle: '节点名称', milestoneDue: '完成时间', addMilestone: '添加节点', hash: '哈希', actor: '操作人', time: '时间',
    detail: '内容', enterprise: '企业', point: '点位', lead: '牵头单位', units: '责任单位', created: '登记时间',
  },
  stats: {
    title: '整改案件', open: '未销号', closed: '已销号', overdue: '逾期', avg: '平均办结（天）', byCity: '各市州',
    byDept: '各牵头单位', reminder: '提醒', escalation: '督办', listed: '挂牌督办',
  },
  complain: {
    title: '生态环境问题举报', intro: '发现污染环境、破坏生态的行为，请告诉我们。可匿名举报，查实后按规定给予奖励。',
    what: '举报内容（发生了什么）', where: '地点（地址）', pick: '在地图上的位置（可选）', lon: '经度', lat: '纬度',
    locate: '使用我的位置', when: '发现时间（可选）', city: '所在市州（可选）', photos: '照片（最多 6 张，每张不超过 10 MB）',
    contact: '联系方式（可选，仅办理人员可见）', anonymous: '匿名举报', submit: '提交举报', done: '举报已受理',
    code: '您的查询码', keep: '请保存查询码，用它查询办理进度和结果。', track: '查询办理进度', another: '再次举报',
    unknownCity: '不清楚',
  },
  track: {
    title: '举报办理进度查询', code: '查询码', query: '查询', state: '办理状态', result: '核实结果', feedback: '办理结果',
    reward: '奖励', created: '受理时间', updated: '更新时间', none: '—',
    states: { received: '已受理', assigned: '已转办', verified: '已核实', closed: '已办结', merged: '已合并办理' },
    results: { confirmed: '属实', unfounded: '不属实', partly: '部分属实' },
    rewards: { granted: '给予奖励 {amount} 元', denied: '不予奖励' },
  },
  triage: {
    title: '举报受理', what: '内容', where: '地点', region: '市州', state: '状态', created: '受理时间', contact: '联系方式',
    anonymous: '匿名', photos: '照片', note: '内部备注', case: '已立案', assign: '转办市州', merge: '合并到举报编号',
    verify: '核实结果', feedback: '反馈（公开）', reward: '奖励决定', amount: '金额（元）', granted: '给予奖励', denied: '不予奖励',
    category: '立案类别', apply: '提交', allStates: '全部状态', empty: '暂无举报', select: '选择一条举报查看详情。',
  },
  history: { title: '审计记录：{object}', empty: '暂无审计记录' },
}

const en: typeof zh = {
  nav: { cases: 'Cases', complaints: 'Complaints', complain: 'Report a problem' },
  state: {
    registered: 'Registered', assigned: 'Assigned', rectifying: 'Rectifying', submitted: 'Submitted', verified: 'Verified',
    closed: 'Closed', returned: 'Returned', reopened: 'Reopened', open: 'Open',
  },
  action: {
    assign: 'Assign', start: 'Start rectification', report: 'Report progress', submit: 'Submit for verification', verify: 'Verify',
    return: 'Return', close: 'Close (approve)', reopen: 'Reopen', register: 'Registered', escalate: 'Escalated', recur: 'Recurrence',
  },
  level: { none: '—', reminder: 'Reminder', escalation: 'Escalation', listed: 'Listed escalation' },
  source: {
    alarm: 'Alarm', complaint: 'Complaint', inspection: 'Inspection', hazard: 'Hazard check',
    'central-inspection': 'Central environmental inspection', 'central-inspection-follow-up': 'Central inspection follow-up',
    'yangtze-warning-film': 'Yangtze warning film', 'npc-enforcement-inspection': 'NPC enforcement inspection',
    'provincial-inspection': 'Provincial inspection', 'leaders-instruction': "Leaders' instruction",
  },
  category: { air: 'Air', water: 'Water', soil: 'Soil', 'solid-waste': 'Solid waste', ecology: 'Ecology', noise: 'Noise', radiation: 'Radiation' },
  severity: { low: 'Low', medium: 'Medium', high: 'High', critical: 'Critical' },
  method: { 'on-site': 'On site', remote: 'Remote' },
  list: {
    title: 'Rectification cases', board: 'Board', table: 'List', new: 'Register a case', allStates: 'All states', allSources: 'All sources',
    overdueOnly: 'Overdue only', region: 'Region code', department: 'Department code', search: 'Search titles', id: 'No.', titleCol: 'Problem',
    source: 'Source', region_name: 'Region', deadline: 'Deadline', stateCol: 'State', levelCol: 'Escalation', overdue: 'Overdue', empty: 'No cases',
  },
  form: {
    title: 'Problem (title)', description: 'Details', source: 'Source', category: 'Category', severity: 'Severity', region: 'Region code',
    enterprise: 'Enterprise credit code (optional)', point: 'Point code (optional)', lead: 'Lead department (code)',
    units: 'Responsible units (codes, comma-separated)', deadline: 'Deadline', save: 'Register', cancel: 'Cancel',
  },
  page: {
    back: 'Back to the list', timeline: 'Timeline', audit: 'Audit history', plan: 'Rectification plan', milestones: 'Milestones',
    assignee: 'Rectified by', actions: 'Actions', note: 'Note', files: 'Attachments (images, PDF, Office documents; 10 MB each)',
    method: 'Verification', noActions: 'Nothing for you to do on this case now.', recurrences: 'Recurrences', verifiedBy: 'Verified by',
    submittedBy: 'Submitted by', closedBy: 'Closed by', milestoneTitle: 'Milestone', milestoneDue: 'Due', addMilestone: 'Add a milestone',
    hash: 'Hash', actor: 'By', time: 'Time', detail: 'Detail', enterprise: 'Enterprise', point: 'Point', lead: 'Lead department',
    units: 'Responsible units', created: 'Registered',
  },
  stats: {
    title: 'Rectification cases', open: 'Open', closed: 'Closed', overdue: 'Overdue', avg: 'Average days to close', byCity: 'By city',
    byDept: 'By lead department', reminder: 'Reminder', escalation: 'Escalation', listed: 'Listed',
  },
  complain: {
    title: 'Report an environmental problem', intro: 'Tell us about pollution or damage to nature. You may stay anonymous; confirmed reports are rewarded.',
    what: 'What happened', where: 'Where (address)', pick: 'Position on the map (optional)', lon: 'Longitude', lat: 'Latitude',
    locate: 'Use my location', when: 'When (optional)', city: 'City (optional)', photos: 'Photos (up to 6, 10 MB each)',
    contact: 'Contact (optional, seen only by the officers)', anonymous: 'Anonymous', submit: 'Submit', done: 'Your report was received',
    code: 'Your tracking code', keep: 'Keep this code to follow your report and see its result.', track: 'Follow my report',
    another: 'Report another', unknownCity: "Don't know",
  },
  track: {
    title: 'Follow a report', code: 'Tracking code', query: 'Look up', state: 'State', result: 'Verification', feedback: 'Result',
    reward: 'Reward', created: 'Received', updated: 'Updated', none: '—',
    states: { received: 'Received', assigned: 'Passed to the city', verified: 'Verified', closed: 'Done', merged: 'Handled with another report' },
    results: { confirmed: 'Confirmed', unfounded: 'Unfounded', partly: 'Partly confirmed' },
    rewards: { granted: 'Reward of {amount} yuan', denied: 'No reward' },
  },
  triage: {
    title: 'Complaints', what: 'What', where: 'Where', region: 'City', state: 'State', created: 'Received', contact: 'Contact',
    anonymous: 'Anonymous', photos: 'Photos', note: 'Internal note', case: 'Case', assign: 'Assign to region', merge: 'Merge into complaint no.',
    verify: 'Verification result', feedback: 'Feedback (public)', reward: 'Reward decision', amount: 'Amount (yuan)', granted: 'Grant',
    denied: 'Deny', category: 'Case category', apply: 'Apply', allStates: 'All states', empty: 'No complaints', select: 'Select a complaint to see it.',
  },
  history: { title: 'Audit history: {object}', empty: 'No audit entries' },
}

export default { 'zh-CN': zh, en }
