// Formatting shared by the pages: times shown in China Standard Time as the
// API sends them (+08:00), numbers as the API's decimal strings.

/** time shows an RFC 3339 time as "2020-01-02 13:00" (or with seconds). */
export function time(s: string | null | undefined, seconds = false): string {
  if (!s) return '—'
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2})?/.exec(s)
  if (!m) return s
  return m[1] + ' ' + m[2] + (seconds && m[3] ? m[3] : '')
}

/** day shows the date part of an RFC 3339 time. */
export function day(s: string): string {
  return s.slice(0, 10)
}

/** isoLocal formats a Date in +08:00 as the API expects. */
export function isoLocal(d: Date): string {
  const t = new Date(d.getTime() + 8 * 3600e3)
  return t.toISOString().slice(0, 19) + '+08:00'
}

/** hoursAgo is now minus h hours, in the API's form. */
export function hoursAgo(h: number): string {
  return isoLocal(new Date(Date.now() - h * 3600e3))
}
