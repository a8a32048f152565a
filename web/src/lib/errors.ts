// errorText turns an ApiError into a sentence for the reader: the server's
// message in the reader's language, or a plain explanation of the code.
import type { ApiError } from './api'

type T = (key: string, args?: Record<string, unknown>) => string

export function errorText(e: ApiError, locale: string, t: T): string {
  switch (e.code) {
    case 'network':
      return t('errors.network')
    case 'forbidden':
      return t('errors.forbidden')
    case 'unauthenticated':
      return t('errors.unauthenticated')
    case 'not_found':
      return t('errors.notFound')
    case 'rate_limited':
      return t('errors.rateLimited')
    case 'csrf':
      return t('errors.csrf')
  }
  let server = locale === 'en' ? e.message : e.messageZh || e.message
  // For invalid input the field reasons say what to change.
  if (e.fields.length) server += '（' + e.fields.map((f) => `${f.field}: ${f.reason}`).join('; ') + '）'
  return t('errors.generic', { msg: server })
}
