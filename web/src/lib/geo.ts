// The province outline comes from the server (the seeded regions' GeoJSON),
// so the UI never ships a second copy of the map; it is fetched once.
import { echarts } from './echarts'
import { api } from './api'

export interface Outline {
  type: 'FeatureCollection'
  features: { properties: { adcode: string | number; name: string } }[]
}

let pending: Promise<Outline> | undefined

/** loadProvince registers the map "hunan" and returns its outline. */
export function loadProvince(): Promise<Outline> {
  if (!pending) {
    pending = api<Outline>('/regions/430000/outline').then((o) => {
      echarts.registerMap('hunan', o as never)
      return o
    })
    pending.catch(() => (pending = undefined))
  }
  return pending
}
