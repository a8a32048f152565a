// The shapes of the cases and complaints API (httpapi/openapi/cases.json,
// complaints.json).
export interface Milestone {
  title: string
  due: string
  done: boolean
}

export interface CaseItem {
  id: number
  title: string
  description: string
  source: string
  source_ref: string
  category: string
  severity: string
  region_code: string
  region_name: string
  enterprise_code: string
  point_code: string
  lead_department: string
  lead_department_name: string
  responsible_units: string[]
  responsible_unit_names: string[]
  deadline: string
  state: string
  level: number
  level_name: string
  overdue: boolean
  assignee: string
  plan: string
  milestones: Milestone[]
  submitted_by: string
  verified_by: string
  verify_method: string
  closed_by: string
  recurrences: number
  created_by: string
  created: string
  updated: string
  closed_at: string | null
}

export interface Attachment {
  id: number
  name: string
  content_type: string
  size: number
  sha256: string
  url: string
}

export interface CaseEvent {
  id: number
  time: string
  actor: string
  action: string
  from: string
  to: string
  note: string
  detail: string
  attachments: Attachment[]
}

export interface AuditEntry {
  id: number
  time: string
  actor: string
  action: string
  object: string
  detail: string
  remote: string
  hash: string
}

export interface CaseDetail {
  case: CaseItem
  events: CaseEvent[]
  audit: AuditEntry[]
  actions: string[]
}

export interface CaseGroup {
  key: string
  name: string
  open: number
  closed: number
  overdue: number
  avg_close_days: number
}

export interface CaseStats {
  open: number
  closed: number
  overdue: number
  reminder: number
  escalation: number
  listed: number
  avg_close_days: number
  by_state: Record<string, number>
  by_department: CaseGroup[]
  by_city: CaseGroup[]
}

export interface Complaint {
  id: number
  tracking_code: string
  what: string
  address: string
  lon: number | null
  lat: number | null
  happened: string | null
  contact: string
  anonymous: boolean
  region_code: string
  region_name: string
  state: string
  merged_into: number
  result: string
  feedback: string
  note: string
  reward_decision: string
  reward_amount: number
  case_id: number
  created: string
  updated: string
  photos?: Attachment[]
}

export interface ComplaintPublic {
  tracking_code: string
  state: string
  result: string
  feedback: string
  reward_decision: string
  reward_amount: number
  created: string
  updated: string
}

export const states = ['registered', 'assigned', 'rectifying', 'submitted', 'verified', 'closed', 'returned', 'reopened']
export const manualSources = [
  'central-inspection',
  'central-inspection-follow-up',
  'yangtze-warning-film',
  'npc-enforcement-inspection',
  'provincial-inspection',
  'leaders-instruction',
]
export const sources = ['alarm', 'complaint', 'inspection', 'hazard', ...manualSources]
export const categories = ['air', 'water', 'soil', 'solid-waste', 'ecology', 'noise', 'radiation']
export const severities = ['low', 'medium', 'high', 'critical']
export const levelNames = ['none', 'reminder', 'escalation', 'listed']
