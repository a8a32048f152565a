import { createI18n } from 'vue-i18n'
import zhCN from './zh-CN'
import en from './en'

// Chinese first; the choice is remembered per browser. The English file is
// typed against the Chinese one, so a key missing in either fails the build.
type Messages = typeof zhCN
const english: Messages = en

const saved = typeof localStorage !== 'undefined' ? localStorage.getItem('ecowatch.locale') : null

export const i18n = createI18n({
  legacy: false,
  locale: saved === 'en' ? 'en' : 'zh-CN',
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': zhCN, en: english },
})
if (typeof document !== 'undefined') document.documentElement.lang = saved === 'en' ? 'en' : 'zh-CN'

export function setLocale(l: 'zh-CN' | 'en') {
  i18n.global.locale.value = l
  localStorage.setItem('ecowatch.locale', l)
  document.documentElement.lang = l
}
