// The shapes of the emergency API (httpapi/openapi/emergency.json).
export interface Facts {
  deaths: number
  poisoned: number
  evacuated: number
  loss_yuan: number
  water_cut: string
  cross_boundary: string
  radioactive_class: number
}
export interface Action {
  time: string
  actor: string
  text: string
}
export interface Incident {
  id: number
  title: string
  description: string
  region_code: string
  lon: number
  lat: number
  occurred: string
  reported: string
  reported_by: string
  source_id: number
  facts: Facts
  grade: string
  grade_basis: string[]
  state: string
  closing_report: string
  actions: Action[]
}
export interface Place {
  kind: string
  ref: string
  name: string
  region: string
  lon: number
  lat: number
  phone: string
  detail: string
  dist_km: number
}
export interface Around {
  radius_km: number
  experts: Place[]
  stores: Place[]
  teams: Place[]
  risk_sources: Place[]
  points: Place[]
  receptors: Place[]
  water_sections: Place[]
  downstream_known: boolean
}
export interface Substance {
  name: string
  cas: string
  quantity_t: number
  critical_t: number
}
export interface RiskSource {
  id: number
  kind: string
  name: string
  region_code: string
  address: string
  lon: number
  lat: number
  substances: Substance[]
  q: number | null
  assessed_level: string
  level: string
  level_basis: string
  responsible: string
  phone: string
  plan_id: number
}
export interface Region {
  code: string
  name: string
  name_en: string
  level: string
}
export const gradeClass: Record<string, string> = { general: 'on', larger: 'warn', major: 'off', particularly_major: 'off' }
