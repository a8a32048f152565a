import type { Feature } from '../types'
import { can } from '../../lib/api'
import { en, zh } from './messages'
import Gauges from './Gauges.vue'

// 目标考核 targets (issue 8): the annual targets' progress, city rankings,
// the monthly bulletin (print and XLSX) and the command centre's gauges.
const feature: Feature = {
  name: 'targets',
  routes: [
    { path: '/targets', name: 'targets', component: () => import('./Targets.vue') },
    { path: '/targets/rankings', name: 'targets-rankings', component: () => import('./Rankings.vue') },
    { path: '/targets/bulletin', name: 'targets-bulletin', component: () => import('./Bulletin.vue') },
  ],
  nav: [{ to: '/targets', key: 'targets.nav', show: () => can('signedIn'), order: 30 }],
  messages: { 'zh-CN': zh, en },
  panels: [{ component: Gauges, order: 10 }],
}
export default feature
