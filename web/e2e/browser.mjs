// Browser set-up shared by the e2e tests: Debian's Chromium driven by
// playwright-core (no browser download ever), headless, in a fresh empty
// profile, against the server that scripts/e2e.sh started.
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'

/** env reads a setting that scripts/e2e.sh must provide; a missing one is a
 * set-up error, never a reason to skip. */
export function env(name) {
  const v = process.env[name]
  if (!v) throw new Error(`${name} is not set: run the browser tests through scripts/e2e.sh (make e2e)`)
  return v
}

export const base = () => env('ECOWATCH_URL').replace(/\/$/, '')
export const artifacts = new URL('./artifacts/', import.meta.url).pathname
mkdirSync(artifacts, { recursive: true })

const args = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** open starts Chromium with a new empty user-data-dir; close() removes it. */
export async function open({ width = 1920, height = 1080, locale = 'zh-CN' } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'ecowatch-e2e-'))
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args,
    viewport: { width, height },
    locale,
    timeout: 30_000,
  })
  context.setDefaultTimeout(15_000)
  const page = context.pages()[0] ?? (await context.newPage())
  const errors = []
  page.on('pageerror', (e) => errors.push(String(e)))
  return {
    context,
    page,
    errors,
    async close() {
      await context.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** signIn fills the sign-in page and waits until it has left it. */
export async function signIn(page, username, password = env('ECOWATCH_E2E_PASSWORD')) {
  await page.goto(base() + '/login')
  await page.fill('input[name=username]', username)
  await page.fill('input[name=password]', password)
  await page.click('[data-test=login-submit]')
  await page.waitForURL((u) => !u.pathname.startsWith('/login'))
  await page.waitForSelector('[data-test=who]')
}

/** shot saves a screenshot as a test artifact. */
export async function shot(page, name) {
  await page.screenshot({ path: join(artifacts, name + '.png'), fullPage: false })
}

/** api calls the JSON API with the page's cookies, for test set-up facts
 * (which enterprise has data) that the pages then must show. */
export async function api(page, path) {
  const res = await page.request.get(base() + '/api/v1' + path)
  if (!res.ok()) throw new Error(`GET ${path}: ${res.status()} ${await res.text()}`)
  return res.json()
}
