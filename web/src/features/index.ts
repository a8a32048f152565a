import type { Feature } from './types'

// Every src/features/<name>/index.ts, in name order.
const modules = import.meta.glob<{ default: Feature }>('./*/index.ts', { eager: true })
export const features: Feature[] = Object.keys(modules)
  .sort()
  .map((k) => modules[k].default)
