// The alarms feature (issue 7): the alarm list, an alarm's detail, the
// rules and thresholds, and the command centre's alarm panel.
import type { Feature } from '../types'
import { session } from '../../lib/api'
import { en, zh } from './texts'
import AlarmPanel from './AlarmPanel.vue'

const feature: Feature = {
  name: 'alarms',
  routes: [
    { path: '/alarms', name: 'alarms', component: () => import('./AlarmList.vue') },
    { path: '/alarms/:id', name: 'alarm', component: () => import('./AlarmDetail.vue'), props: true },
    { path: '/alarm-rules', name: 'alarm-rules', component: () => import('./AlarmRules.vue') },
  ],
  nav: [
    { to: '/alarms', key: 'alarms.nav', show: () => !!session.user, order: 30 },
    { to: '/alarm-rules', key: 'alarms.navRules', show: () => ['admin', 'province', 'city'].includes(session.user?.role ?? ''), order: 31 },
  ],
  messages: { 'zh-CN': zh, en },
  panels: [{ component: AlarmPanel, order: 10 }],
}
export default feature
