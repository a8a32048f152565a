// The alarm as the API returns it (GET /api/v1/alarms).
export interface Alarm {
  id: number
  rule: string
  point: string
  factor: string
  mn: string
  region: string
  enterprise: string
  severity: 'low' | 'medium' | 'high' | 'critical'
  state: 'open' | 'acknowledged' | 'cleared' | 'dismissed'
  opened: string
  updated: string
  closed?: string
  value: number
  threshold: number
  message: string
  repeats: number
  acked_by?: string
  dismissed_by?: string
  dismiss_reason?: string
  case_id?: number
}

export const severities = ['critical', 'high', 'medium', 'low'] as const
export const states = ['open', 'acknowledged', 'cleared', 'dismissed'] as const
export const ruleNames = [
  'exceedance', 'offline', 'missing', 'flat', 'zero-negative', 'above-range', 'impossible-o2', 'zero-flow',
  'flag-too-long', 'facility-off', 'city-aqi', 'station-daily', 'water-class', 'wrong-password', 'clock-drift', 'check-failures',
] as const

/** Who may act on alarms (the server checks the same). */
export function canOperate(role: string | undefined): boolean {
  return role === 'admin' || role === 'province' || role === 'city' || role === 'enforcement'
}
export function canEscalate(role: string | undefined): boolean {
  return role === 'admin' || role === 'province' || role === 'city'
}
export function canEditRules(role: string | undefined): boolean {
  return role === 'admin' || role === 'province'
}
