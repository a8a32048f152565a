// The shapes of the inspections API (httpapi/openapi/inspections.json).
export interface Plan {
  region: string
  period: string
  groups: { group: string; ratio: number }[]
  teams: number
  team_size: number
  focus_min: number
  exclude_days: number
  home_county_rule: boolean
  max_per_team: number
}
export interface Result {
  groups: { group: string; ratio: number; size: number; excluded: number; drawn: number }[]
  teams: { team: number; officers: string[] }[]
  assignments: { credit_code: string; name: string; region: string; group: string; team: number }[]
}
export interface Draw {
  id: number
  region: string
  period: string
  plan: Plan
  plan_hash: string
  enterprise_pool_hash: string
  officer_pool_hash: string
  state: 'frozen' | 'drawn' | 'refused'
  seed: string
  seed_source: string
  result: Result
  refusal: string
  redraw_of: number
  reason: string
  frozen_at: string
  drawn_at: string
  enterprises: number
  officers: number
}
export interface PublicDraw {
  id: number
  region: string
  period: string
  state: string
  plan: Plan
  plan_hash: string
  enterprise_pool_hash: string
  officer_pool_hash: string
  seed: string
  seed_source: string
  frozen_at: string
  drawn_at: string
  redraw_of: number
  reason: string
  refusal: string
  result_hash: string
  published: boolean
  record: { result: Result } | null
}
export interface Finding {
  text: string
  attachments: number[]
}
export interface Task {
  id: number
  source: string
  source_ref: string
  draw_id: number
  team: number
  group: string
  credit_code: string
  enterprise_name: string
  region: string
  industry: string
  period: string
  officers: string[]
  state: 'open' | 'done'
  created: string
  outcome: string
  checklist: { code: string; ok: boolean; note: string }[]
  findings: Finding[]
  summary: string
  case_id: number
  minutes: number
  inspected_on: string
}
export interface CheckItem {
  code: string
  zh: string
  en: string
}
export interface Evidence {
  kind: string
  point: string
  factor: string
  from: string
  to: string
  hours: number
  limit: number
  values: number[]
  frames: number[]
  score: number
}
export interface Lead {
  credit_code: string
  name: string
  region: string
  score: number
  evidence: Evidence[]
}
export interface PublicResult {
  task_id: number
  draw_id: number
  period: string
  credit_code: string
  enterprise_name: string
  region: string
  inspected_on: string
  outcome: string
  follow_up: string
}
