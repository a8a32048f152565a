import { createApp } from 'vue'
import { createRouter, createWebHistory } from 'vue-router'
import App from './App.vue'
import { i18n } from './i18n'
import { loadSession, session } from './lib/api'
import Overview from './views/Overview.vue'
import { features } from './features'

// Pages other than the command centre load on first visit, so the big
// screen's first paint carries only the map.
const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: '/', name: 'overview', component: Overview, meta: { public: true } },
    { path: '/login', name: 'login', component: () => import('./views/Login.vue'), meta: { public: true } },
    { path: '/air', name: 'air', component: () => import('./views/Air.vue') },
    { path: '/sources', name: 'sources', component: () => import('./views/Sources.vue') },
    { path: '/sources/:id', name: 'enterprise', component: () => import('./views/Enterprise.vue'), props: true },
    { path: '/frames/:id', name: 'frame', component: () => import('./views/Frame.vue'), props: true },
    { path: '/devices', name: 'devices', component: () => import('./views/Devices.vue') },
    { path: '/admin', name: 'admin', component: () => import('./views/Admin.vue') },
    ...features.flatMap((f) => f.routes ?? []),
    { path: '/:rest(.*)*', name: 'missing', component: () => import('./views/Missing.vue'), meta: { public: true } },
  ],
})

// Pages that need an account send the public to the sign-in page and back.
router.beforeEach(async (to) => {
  if (!session.checked) {
    try {
      await loadSession()
    } catch {
      /* the page shows the server error itself */
    }
  }
  if (!to.meta.public && !session.user) return { name: 'login', query: { next: to.fullPath } }
})

for (const f of features) {
  i18n.global.mergeLocaleMessage('zh-CN', { [f.name]: f.messages['zh-CN'] })
  i18n.global.mergeLocaleMessage('en', { [f.name]: f.messages.en })
}

createApp(App).use(i18n).use(router).mount('#app')
