// The API client: one place that speaks the contract of /api/v1 (cookie
// session, X-CSRF-Token on state-changing requests, the error shape with a
// stable code and messages in both languages).
import { reactive } from 'vue'

/** A user as GET/POST /session returns it. */
export interface User {
  id: number | string
  username: string
  display_name: string
  role: 'admin' | 'province' | 'city' | 'enforcement' | 'enterprise' | 'client' | ''
  region: string
  enterprise_id: string
}

/** A list response: every list endpoint pages the same way. */
export interface Page<T> {
  items: T[]
  total: number
  limit: number
  offset: number
}

/** ApiError carries the server's error object, so pages can show the
 * message in the reader's language and react to the stable code. */
export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public messageZh: string,
    public fields: { field: string; reason: string }[] = [],
  ) {
    super(message)
  }
}

/** The signed-in session; user is null for the anonymous public. */
export const session = reactive<{ user: User | null; csrf: string; checked: boolean }>({
  user: null,
  csrf: '',
  checked: false,
})

const base = '/api/v1'

/** api calls one endpoint and decodes its JSON. A non-2xx answer becomes an
 * ApiError; a network failure becomes ApiError with code "network". */
export async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const headers = new Headers(init.headers)
  const method = (init.method ?? 'GET').toUpperCase()
  if (method !== 'GET' && method !== 'HEAD' && session.csrf) headers.set('X-CSRF-Token', session.csrf)
  if (init.body && typeof init.body === 'string') headers.set('Content-Type', 'application/json')
  headers.set('Accept', 'application/json')
  let res: Response
  try {
    res = await fetch(base + path, { ...init, headers, credentials: 'same-origin' })
  } catch (e) {
    throw new ApiError(0, 'network', 'The server cannot be reached.', '无法连接服务器。')
  }
  if (res.status === 204) return undefined as T
  const text = await res.text()
  let body: unknown = undefined
  try {
    body = text ? JSON.parse(text) : undefined
  } catch {
    /* not JSON: handled below */
  }
  if (!res.ok) {
    const err = (body as { error?: { code?: string; message?: string; message_zh?: string; fields?: { field: string; reason: string }[] } })?.error
    if (res.status === 401 && session.user && path !== '/session') session.user = null
    throw new ApiError(
      res.status,
      err?.code ?? (res.status === 404 ? 'not_found' : 'internal'),
      err?.message ?? `${res.status} ${res.statusText}`,
      err?.message_zh ?? `服务器返回 ${res.status}`,
      err?.fields ?? [],
    )
  }
  if (body === undefined && text) throw new ApiError(res.status, 'internal', 'The server answered with something that is not JSON.', '服务器返回的不是 JSON。')
  return body as T
}

/** post sends a JSON body with the given method. */
export function send<T>(method: string, path: string, body?: unknown): Promise<T> {
  return api<T>(path, { method, body: body === undefined ? undefined : JSON.stringify(body) })
}

/** query builds "?a=1&b=2" from the non-empty values. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v))
  const s = q.toString()
  return s ? '?' + s : ''
}

interface SessionBody {
  user: User
  csrf_token: string
}

/** loadSession asks the server who we are; 401 means the public. */
export async function loadSession(): Promise<void> {
  try {
    const s = await api<SessionBody>('/session')
    session.user = s.user
    session.csrf = s.csrf_token
  } catch (e) {
    session.user = null
    session.csrf = ''
    if (!(e instanceof ApiError) || (e.status !== 401 && e.status !== 404)) throw e
  } finally {
    session.checked = true
  }
}

/** signIn posts the credentials; errors come back as ApiError
 * (unauthenticated, rate_limited). */
export async function signIn(username: string, password: string): Promise<void> {
  const s = await send<SessionBody>('POST', '/session', { username, password })
  session.user = s.user
  session.csrf = s.csrf_token
}

/** signOut ends the session on the server and forgets it here. */
export async function signOut(): Promise<void> {
  try {
    await send('DELETE', '/session')
  } finally {
    session.user = null
    session.csrf = ''
  }
}

/** can says whether the signed-in role may use a part of the UI. The server
 * enforces the same rules; this only hides what would be refused. */
export function can(what: 'devices.write' | 'devices.register' | 'admin' | 'registry.import' | 'signedIn'): boolean {
  const r = session.user?.role
  if (!r) return false
  switch (what) {
    case 'signedIn':
      return true
    case 'devices.write':
      return r === 'admin' || r === 'province' || r === 'city' || r === 'enforcement'
    case 'devices.register':
      return r === 'admin' || r === 'province' || r === 'city'
    case 'admin':
      return r === 'admin'
    case 'registry.import':
      return r === 'admin' || r === 'province'
  }
}
