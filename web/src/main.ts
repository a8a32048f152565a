import { createApp } from 'vue'
import { createRouter, createWebHistory } from 'vue-router'
import App from './App.vue'
import { i18n } from './i18n'
import Overview from './views/Overview.vue'

const router = createRouter({
  history: createWebHistory(),
  routes: [{ path: '/', name: 'overview', component: Overview }],
})

createApp(App).use(i18n).use(router).mount('#app')
