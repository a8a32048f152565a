// Browser tests of issue 11: an officer reports an environmental incident
// and sees on one map what is around it and who to call; a city officer
// files a progress report on a task of the work plan, and the supervisor's
// board and assessment reflect it. The server is seeded by scripts/demo.sh
// (ecowatch plan seed --year 2020, ecowatch emergency seed-demo); expected
// values come from the server's own API.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { api, base, open, shot, signIn } from './browser.mjs'

describe('emergency and work plan', () => {
  let b
  before(async () => {
    b = await open()
  })
  after(async () => {
    await b?.close()
  })

  test('an officer reports an incident and sees what is around it and who to call', async () => {
    const { page } = b
    await signIn(page, 'officer')
    // A simulated risk source in the officer's city (长沙, 430100).
    const sources = await api(page, '/emergency/risk-sources?limit=500')
    const src = sources.items.find((s) => s.region_code.startsWith('4301'))
    assert.ok(src, 'seed-demo registered risk sources in 长沙')
    await page.goto(base() + '/emergency')
    await page.waitForSelector('[data-test=incident-report] select[name=source] option:nth-child(2)', { state: 'attached' })
    const title = `储罐泄漏 e2e ${Date.now()}`
    await page.fill('input[name=title]', title)
    await page.selectOption('select[name=source]', String(src.id))
    // Choosing the source takes its place.
    assert.equal(Number(await page.inputValue('input[name=lon]')), src.lon)
    await page.fill('input[name=evacuated]', '6000')
    await page.fill('textarea[name=description]', '储罐区围堰内泄漏，已疏散周边群众')
    await page.click('[data-test=incident-submit]')
    await page.waitForURL((u) => /\/emergency\/incidents\/\d+$/.test(u.pathname))
    const id = new URL(page.url()).pathname.split('/').pop()
    // 疏散 6000 人: 较大 (5000 人以上 1 万人以下) by the national grading.
    await page.waitForSelector('[data-test=incident-grade]')
    assert.equal(await page.getAttribute('[data-test=incident-grade]', 'data-grade'), 'larger')
    assert.match(await page.textContent('[data-test=incident-grade]'), /较大/)
    // One map, and the people to call nearest first, as the server ranks them.
    await page.waitForSelector('[data-test=around-map] canvas')
    await page.waitForSelector('[data-test=call-row]')
    const rows = await page.$$eval('[data-test=call-row]', (rs) => rs.map((r) => ({ kind: r.getAttribute('data-kind'), dist: Number(r.getAttribute('data-dist')), text: r.textContent })))
    const around = (await api(page, `/emergency/incidents/${id}/around?radius_km=10`)).around
    assert.equal(rows.length, around.experts.length + around.stores.length + around.teams.length)
    for (let i = 1; i < rows.length; i++) assert.ok(rows[i].dist >= rows[i - 1].dist, 'who to call is sorted by distance')
    assert.ok(around.experts.length > 0 && rows.some((r) => r.text.includes(around.experts[0].name) && r.text.includes(around.experts[0].phone)), 'the nearest expert and their phone are shown')
    // The source itself is the nearest risk source (distance 0).
    assert.equal(around.risk_sources[0].ref, String(src.id))
    assert.equal(around.risk_sources[0].dist_km, 0)
    const srcRows = await page.$$eval('[data-test=around-riskSources] [data-test=around-row]', (rs) => rs.map((r) => r.textContent))
    assert.ok(srcRows[0].includes(src.name))
    await shot(page, 'emergency-incident')
    // The timeline takes an action.
    await page.fill('[data-test=action-text]', '监测人员到场采样')
    await page.click('[data-test=action-submit]')
    await page.waitForFunction(() => document.querySelectorAll('[data-test=timeline] li').length === 2)
  })

  test('the command centre lists the open incident', async () => {
    const { page } = b
    await signIn(page, 'province')
    await page.waitForSelector('[data-test=panel-incidents][data-open]:not([data-open=""])')
    const open = await api(page, '/emergency/incidents?state=open')
    assert.equal(await page.getAttribute('[data-test=panel-incidents]', 'data-open'), String(open.total))
    assert.ok(open.total >= 1)
  })

  test('the supervisor approves a filed emergency plan; its revision date follows', async () => {
    const { page } = b
    await signIn(page, 'province')
    await page.goto(base() + '/emergency/prepare')
    const plans = await api(page, '/emergency/plans?limit=500')
    await page.waitForFunction((n) => document.querySelectorAll('[data-test=em-plan]').length === n, plans.total)
    const filed = plans.items.findIndex((p) => p.versions.length && p.versions[p.versions.length - 1].state === 'filed')
    assert.ok(filed >= 0, 'seed-demo leaves some plans under review')
    const row = page.locator('[data-test=em-plan]').nth(filed)
    await row.getByRole('button', { name: '审核通过' }).click()
    await page.waitForFunction((i) => document.querySelectorAll('[data-test=em-plan]')[i].textContent.includes('已备案'), filed)
    const after = (await api(page, '/emergency/plans?limit=500')).items[filed]
    const v = after.versions[after.versions.length - 1]
    assert.equal(v.state, 'approved')
    // Revised at the latest three years after approval (环发〔2015〕4号).
    assert.equal(new Date(v.revise_by).getUTCFullYear(), new Date(v.reviewed).getUTCFullYear() + 3)
    await shot(page, 'emergency-prepare')
  })

  test('a city officer reports progress on a task, and the board follows', async () => {
    const { page } = b
    await signIn(page, 'changsha')
    await page.goto(base() + '/plan')
    await page.waitForFunction(() => document.querySelectorAll('[data-test=plan-task]').length === 33)
    // Task 20 (风险隐患大排查): the city sees only its own row among the parties.
    await page.click('[data-test=plan-task][data-key="20"]')
    await page.waitForSelector('[data-test=plan-report-form]')
    const parties = await page.$$eval('[data-test=plan-party]', (rs) => rs.map((r) => r.getAttribute('data-code')))
    assert.deepEqual(parties, ['430100'])
    await page.selectOption('select[name=period]', '2020Q4')
    await page.selectOption('select[name=status]', 'done')
    await page.fill('input[name=percent]', '100')
    await page.fill('textarea[name=text]', '完成化工企业、尾矿库等 8 类风险源隐患排查 126 家')
    await page.fill('input[name=att-name]', '排查清单.xlsx')
    await page.fill('input[name=att-url]', 'https://example.org/hazard-list.xlsx')
    await page.click('[data-test=plan-report-submit]')
    await page.waitForSelector('[data-test=plan-report-done]')
    await page.waitForSelector('[data-test=plan-party][data-code="430100"][data-status=done]')
    const tasks = await api(page, '/plan/tasks?year=2020&limit=100')
    const t20 = tasks.items.find((x) => x.key === '20')
    const reports = await api(page, `/plan/reports?year=2020&task=${t20.id}&party_kind=city&party_code=430100`)
    const mine = reports.items[reports.items.length - 1]
    assert.equal(mine.status, 'done')
    assert.equal(mine.attachments[0].name, '排查清单.xlsx')
    await shot(page, 'plan-board')
    // The supervisor sees every department and city in the assessment.
    await signIn(page, 'province')
    await page.goto(base() + '/plan')
    await page.waitForSelector('[data-test=assessment-row]')
    await page.waitForFunction(() => document.querySelectorAll('[data-test=plan-task]').length === 33)
    const rows = await page.$$eval('[data-test=assessment-row]', (rs) => rs.map((r) => r.getAttribute('data-code')))
    assert.ok(rows.includes('430100') && rows.includes('hn-eco-env'), 'cities and departments are assessed')
    const behind = await page.$$eval('[data-test=plan-task]', (rs) => rs.map((r) => Number(r.getAttribute('data-behind'))))
    assert.ok(behind.some((n) => n > 0), 'the board shows who is behind')
  })
})
