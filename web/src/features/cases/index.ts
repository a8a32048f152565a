import type { Feature } from '../types'
import { session } from '../../lib/api'
import messages from './messages'
import { canCases, canTriage } from './roles'
import StatsPanel from './StatsPanel.vue'

// Rectification cases (问题清单 → 整改 → 核查 → 销号), public complaints
// (12369-style reports: a page without sign-in, tracking by code, triage)
// and the audit history of one object.

const feature: Feature = {
  name: 'cases',
  routes: [
    { path: '/cases', name: 'cases', component: () => import('./Cases.vue') },
    { path: '/cases/:id', name: 'case', component: () => import('./Case.vue'), props: true },
    { path: '/complaints', name: 'complaints', component: () => import('./Complaints.vue') },
    { path: '/history/:object', name: 'history', component: () => import('./History.vue'), props: true },
    // The public's pages: no sign-in.
    { path: '/complain', name: 'complain', component: () => import('./Complain.vue'), meta: { public: true } },
    { path: '/track/:code?', name: 'track', component: () => import('./Track.vue'), props: true, meta: { public: true } },
  ],
  nav: [
    { to: '/cases', key: 'cases.nav.cases', show: canCases, order: 30 },
    { to: '/complaints', key: 'cases.nav.complaints', show: canTriage, order: 31 },
    { to: '/complain', key: 'cases.nav.complain', show: () => !session.user, order: 90 },
  ],
  messages,
  panels: [{ component: StatsPanel, order: 30 }],
}

export default feature
