// The shapes of the plan API (httpapi/openapi/plan.json).
export interface PartyStatus {
  kind: 'department' | 'city'
  code: string
  name: string
  status: string
}
export interface Task {
  id: number
  year: number
  key: string
  number: number
  group: string
  title: string
  text: string
  by_duty: boolean
  leads: { kind: string; code: string; name: string }[]
  cities: number
  counts: Record<string, number>
  behind: PartyStatus[]
}
export interface Report {
  id: number
  task_id: number
  task_key: string
  party_kind: string
  party_code: string
  period: string
  status: string
  percent: number
  text: string
  attachments: { name: string; url: string }[]
  filed: string
  filed_by: string
  review: string
  review_note: string
}
export interface Assessment {
  kind: string
  code: string
  name: string
  tasks: number
  not_started: number
  on_track: number
  delayed: number
  done: number
  reports_due: number
  reports_on_time: number
  reports_late: number
  reports_missed: number
  timeliness: number
  progress: number
  score: number
  grade: string
  behind: string[]
}
export const statusClass: Record<string, string> = { not_started: '', on_track: 'on', delayed: 'off', done: 'on' }
