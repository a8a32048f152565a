import { createI18n } from 'vue-i18n'
import zhCN from './zh-CN'
import en from './en'

// Chinese first; the choice is remembered per browser.
const saved = typeof localStorage !== 'undefined' ? localStorage.getItem('ecowatch.locale') : null

export const i18n = createI18n({
  legacy: false,
  locale: saved === 'en' ? 'en' : 'zh-CN',
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': zhCN, en },
})

export function setLocale(l: 'zh-CN' | 'en') {
  i18n.global.locale.value = l
  localStorage.setItem('ecowatch.locale', l)
  document.documentElement.lang = l
}
