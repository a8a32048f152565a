// Browser test of random inspections (issue 10): the province supervisor
// plans and runs a quarterly draw, the officer sees the drawn task and
// completes it with a finding and a photo, and the public page (no
// sign-in) shows the result and the draw's pool hashes and seed, which
// are the server's. Run by scripts/e2e.sh (demo officers "officer" and
// "officer2" of 长沙 are the inspector pool).
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { api, base, open, shot, signIn } from './browser.mjs'

// A 1×1 PNG: what the attachment route accepts (type read from the bytes).
const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64')

describe('random inspections', () => {
  let b
  let drawId
  let enterprise
  before(async () => {
    b = await open()
  })
  after(async () => {
    await b?.close()
  })

  test('the province supervisor plans and runs a quarterly draw', async () => {
    const { page } = b
    await signIn(page, 'province')
    await page.goto(base() + '/inspections/draws')
    await page.fill('[data-test=plan-region]', '430000')
    for (const g of ['key', 'focus', 'general']) await page.fill(`[data-test=ratio-${g}]`, '1')
    await page.fill('[data-test=plan-teams]', '1')
    await page.fill('[data-test=plan-size]', '2')
    await page.click('[data-test=plan-freeze]')
    await page.waitForSelector('[data-test=frozen]')
    const hash = (await page.textContent('[data-test=frozen-ent-hash]')).trim()
    assert.match(hash, /^[0-9a-f]{64}$/)
    await page.fill('[data-test=plan-seed]', '福彩3D 2026-09-30 5 2 8')
    await page.click('[data-test=plan-run]')
    await page.click('[data-test=confirm]')
    await page.waitForURL(/\/inspections\/draws\/\d+$/)
    drawId = Number(new URL(page.url()).pathname.split('/').pop())
    await page.waitForSelector('[data-test=assignment]')
    assert.equal((await page.textContent('[data-test=draw-state]')).trim(), '已抽取')
    assert.equal((await page.textContent('[data-test=ent-hash]')).trim(), hash, 'the record shows the hash published at the freeze')
    // The page shows the server's draw.
    const d = await api(page, `/inspections/draws/${drawId}`)
    assert.equal(d.state, 'drawn')
    assert.equal(d.enterprise_pool_hash, hash)
    assert.equal(await page.locator('[data-test=assignment]').count(), d.result.assignments.length)
    assert.deepEqual(d.result.teams[0].officers, ['officer', 'officer2'])
    await shot(page, 'inspections-draw')
  })

  test('the supervisor manages the inspector pool and reads the leads', async () => {
    const { page } = b
    await page.goto(base() + '/inspections/draws')
    await page.waitForSelector('[data-test=officer-row]')
    await page.fill('[data-test=officer-id]', 'officer3')
    await page.fill('[data-test=officer-name]', '株洲市执法人员')
    // 株洲's officer: not eligible for 长沙's draws (public-compliance.test.mjs
    // draws 长沙 and expects the demo officers).
    await page.fill('[data-test=officer-region]', '430200')
    await page.fill('[data-test=officer-certificate]', '湘执-officer3')
    await page.click('[data-test=officer-save]')
    await page.waitForFunction(() => [...document.querySelectorAll('[data-test=officer-row]')].some((r) => r.textContent.includes('officer3')))
    const pool = await api(page, '/inspections/officers')
    assert.ok(pool.items.some((o) => o.id === 'officer3' && o.certificate === '湘执-officer3'))
    // Leads: the page lists what the server ranks (the simulator's faulty
    // devices exceed and flat-line; how many depends on its clock).
    await page.goto(base() + '/inspections/leads')
    await page.waitForSelector('[data-test=lead-row], [data-test=empty]', { timeout: 60_000 })
    const leads = await api(page, '/inspections/leads?limit=100')
    assert.equal(await page.locator('[data-test=lead-row]').count(), leads.items.length)
    for (let i = 1; i < leads.items.length; i++) assert.ok(leads.items[i - 1].score >= leads.items[i].score, 'ranked by score')
    await shot(page, 'inspections-leads')
  })

  test('the officer sees the task and completes it with a finding', async () => {
    const { page } = b
    await page.context().clearCookies()
    await signIn(page, 'officer')
    await page.goto(base() + '/inspections/tasks')
    await page.waitForSelector('[data-test=notifications]')
    await page.waitForSelector('[data-test=task-row][data-state=open]')
    const tasks = await api(page, '/inspections/tasks?state=open')
    const task = tasks.items.find((x) => x.draw_id === drawId)
    assert.ok(task, 'a task of the new draw is the officer’s')
    enterprise = task.enterprise_name
    await page.goto(base() + `/inspections/tasks/${task.id}`)
    await page.waitForSelector('[data-test=check-item]')
    assert.ok((await page.locator('[data-test=check-item]').count()) >= 6, 'the industry checklist has the common lines')
    await page.uncheck('[data-test=check-ledger]')
    await page.click('[data-test=add-finding]')
    await page.fill('[data-test=finding-text]', '环境管理台账缺失近三个月记录')
    await page.setInputFiles('[data-test=finding-file]', { name: '台账.png', mimeType: 'image/png', buffer: png })
    await page.waitForFunction(() => document.querySelector('[data-test=finding-attachments]')?.textContent?.includes('附件'))
    await page.selectOption('[data-test=outcome]', 'problems')
    await page.fill('[data-test=minutes]', '75')
    await page.click('[data-test=submit-record]')
    await page.waitForSelector('[data-test=task-outcome]')
    assert.match(await page.textContent('[data-test=task-outcome]'), /发现问题/)
    assert.match(await page.textContent('[data-test=task-finding]'), /台账/)
    const done = await api(page, `/inspections/tasks/${task.id}`)
    assert.equal(done.task.state, 'done')
    assert.equal(done.task.findings[0].attachments.length, 1)
    await shot(page, 'inspections-task')
  })

  test('the public page shows the result and the draw hashes without sign-in', async () => {
    const { page } = b
    await page.context().clearCookies()
    await page.goto(base() + '/public/inspections')
    await page.waitForSelector('[data-test=public-result]')
    const rows = await page.$$eval('[data-test=public-result]', (rs) => rs.map((r) => r.textContent))
    const mine = rows.find((r) => r.includes(enterprise))
    assert.ok(mine, `the completed inspection of ${enterprise} is public`)
    assert.match(mine, /发现问题/)
    assert.match(mine, /责令整改/)
    assert.ok(!rows.join().includes('台账缺失'), 'findings are not public')
    assert.ok(!rows.join().includes('officer'), 'officers are not named')
    const pub = await (await page.request.get(base() + `/api/v1/inspections/public/draws/${drawId}`)).json()
    const hashes = await page.$$eval('[data-test=public-ent-hash]', (cs) => cs.map((c) => c.textContent.trim()))
    assert.ok(hashes.includes(pub.enterprise_pool_hash), 'the public page shows the published pool hash')
    const seeds = await page.$$eval('[data-test=public-seed]', (cs) => cs.map((c) => c.textContent.trim()))
    assert.ok(seeds.includes('福彩3D 2026-09-30 5 2 8'))
    await shot(page, 'inspections-public')
  })

  test('the command centre shows coverage and findings rate', async () => {
    const { page } = b
    await signIn(page, 'province')
    await page.goto(base() + '/')
    await page.waitForSelector('[data-test=coverage-row]')
    const stats = await api(page, '/inspections/stats')
    const cov = stats.coverage.find((c) => c.draw_id === drawId && c.done > 0)
    assert.ok(cov, 'the completed inspection counts for its group')
    assert.equal(await page.locator('[data-test=coverage-row]').count(), stats.coverage.length)
    const random = stats.sources.filter((s) => s.source === 'random').reduce((n, s) => n + s.with_findings, 0)
    assert.ok(random >= 1, 'the finding counts in the random findings rate')
  })
})
