// The targets feature's view of /api/v1/targets…: types of the answers and
// small helpers shared by its pages.
import { echarts } from '../../lib/echarts'
import { GaugeChart } from 'echarts/charts'

// The gauge chart is only used here; registering it from the feature keeps
// the shared ECharts bundle as it is.
echarts.use([GaugeChart])

export type Status = 'met' | 'on_track' | 'at_risk' | 'missed' | 'no_data'

export interface Projection {
  central: string
  low: string
  high: string
  years: number[]
  method: string
}
export interface Figure {
  indicator: string
  region: string
  value: string | null
  last_year: string | null
  final: boolean
  cumulative: boolean
  projection?: Projection
  source: string
  notes?: string[]
}
export interface Target {
  RegionCode: string
  Year: number
  Indicator: string
  Name: string
  Value: number
  Unit: string
  Comparison: 'at_most' | 'at_least'
  Source: string
}
export interface ProgressItem {
  target: Target
  figure: Figure
  status: Status
}
export interface RegionProgress {
  region: string
  name: string
  items: ProgressItem[]
  figures?: Figure[]
}
export interface Contribution {
  region: string
  name: string
  value: string
  effect: number
  holds_back: boolean
}
export interface Progress {
  year: number
  as_of: string
  from: string
  to: string
  final: boolean
  province: RegionProgress
  cities: RegionProgress[]
  contributions: Record<string, Contribution[]>
  holds_back: Record<string, string>
  simulated: string[]
}
export interface CityRow {
  rank: number
  region: string
  name: string
  so2: string
  no2: string
  pm10: string
  co: string
  o3: string
  pm25: string
  index: string | null
  index_last: string | null
  index_change: string | null
  index_rank: number
  good_ratio: string | null
  good_days: number
  valid_days: number
  heavy_days: number
  primary_pollutant: string[]
}
export interface Ranking {
  period: string
  from: string
  to: string
  by: string
  rows: CityRow[]
}
export interface AirBulletin {
  kind: string
  month: string
  title: string
  title_en: string
  rows: CityRow[]
  province: CityRow
  notes: string[]
}

/** The colours of the statuses (green met, light green on track, orange
 * at risk, red missed, grey no data). */
export const statusColour: Record<Status, string> = {
  met: '#2f9e44',
  on_track: '#69db7c',
  at_risk: '#ffa94d',
  missed: '#ff6b6b',
  no_data: '#868e96',
}

/** The air indicators a city has, in the order of the tables. */
export const cityIndicators = ['pm25_annual_mean', 'good_day_ratio', 'heavy_pollution_days_total']

export function item(rp: RegionProgress | undefined, indicator: string): ProgressItem | undefined {
  return rp?.items.find((i) => i.target.Indicator === indicator)
}

export function figure(rp: RegionProgress | undefined, indicator: string): Figure | undefined {
  return rp?.figures?.find((f) => f.indicator === indicator)
}

export interface WaterRanking {
  period: string
  from: string
  to: string
  cities: { rank: number; region: string; name: string; sections: number; good: number; worse_v: number; ratio: string | null }[]
  sections: { rank: number; point: string; name: string; region: string; class: string; target_class: string; main_pollutants: string[] }[]
}
export interface Report {
  id: number
  kind: string
  period: string
  created: string
  actor: string
}
