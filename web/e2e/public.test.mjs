// Browser tests of the public portal (issue 12) at a phone's viewport, as
// the anonymous public: the air page shows the chosen city's AQI in the
// official colour of its level with the HJ 633 health advice of that
// level, its last 24 hours, the map; the language switch turns the advice
// English; the water and compliance pages load; the open data page hands
// out an API key. Expected values come from the server's own open API.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { api, base, open, shot, signIn } from './browser.mjs'

// HJ 633-2012 table 2: the official colours of the six AQI levels, and
// the start of each level's recommended measures.
const officialColours = ['#00E400', '#FFFF00', '#FF7E00', '#FF0000', '#99004C', '#7E0023'].map((c) => c.toLowerCase())
const measures = ['各类人群可正常活动', '极少数异常敏感人群应减少户外活动', '儿童、老年人及心脏病、呼吸系统疾病患者应减少', '儿童、老年人及心脏病、呼吸系统疾病患者避免', '儿童、老年人和心脏病、肺病患者应停留在室内', '儿童、老年人和病人应当留在室内']

describe('public portal on a phone', () => {
  let b
  before(async () => {
    b = await open({ width: 390, height: 844 })
  })
  after(async () => {
    await b?.close()
  })

  test('a citizen sees the air in their city: AQI, colour, advice, 24 hours', async () => {
    const { page } = b
    const t0 = Date.now()
    await page.goto(base() + '/public?city=430100')
    await page.waitForSelector('[data-test=city-card]')
    console.log(`# public air page drawn ${Date.now() - t0} ms after navigation (phone viewport)`)
    // The feeder gives every station its last 24 hours; wait for Changsha's.
    await page.waitForFunction(() => document.querySelector('[data-test=city-card]')?.getAttribute('data-aqi') !== '', null, { timeout: 60_000, polling: 1000 })
    const now = await api(page, '/open/air/now')
    const cs = now.cities.find((c) => c.region === '430100')
    assert.ok(cs, 'the server has Changsha now')
    const aqi = Number(await page.getAttribute('[data-test=city-card]', 'data-aqi'))
    const level = Number(await page.getAttribute('[data-test=city-card]', 'data-level'))
    assert.equal(aqi, cs.aqi)
    const expectLevel = aqi <= 50 ? 1 : aqi <= 100 ? 2 : aqi <= 150 ? 3 : aqi <= 200 ? 4 : aqi <= 300 ? 5 : 6
    assert.equal(level, expectLevel)
    assert.equal((await page.getAttribute('[data-test=city-card]', 'data-color')).toLowerCase(), officialColours[level - 1])
    const advice = await page.textContent('[data-test=advice]')
    assert.ok(advice.includes(measures[level - 1]), `level ${level} advice: ${advice}`)
    await page.waitForSelector('[data-test=public-map] canvas')
    assert.equal(await page.getAttribute('[data-test=public-map]', 'data-cities'), String(now.cities.length))
    await page.waitForFunction(() => Number(document.querySelector('[data-test=chart-24h]')?.getAttribute('data-points') || 0) > 0, null, { timeout: 20_000 })
    const stations = await page.$$('[data-test=station]')
    assert.ok(stations.length > 0, "Changsha's stations are listed")
    // The page fits the phone: nothing wider than the viewport.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    const wide = await page.evaluate(() =>
      [...document.querySelectorAll('body *')]
        .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
        .slice(0, 5)
        .map((e) => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`),
    )
    assert.ok(overflow <= 1, `page is ${overflow}px wider than the phone: ${wide.join(', ')}`)
    await shot(page, 'public-air-phone')
    assert.deepEqual(b.errors, [])
  })

  test('the language switch shows the advice in English', async () => {
    const { page } = b
    await page.click('[data-test=lang-switch]')
    await page.waitForFunction(() => /Everyone|sensitive|Children|stay indoors/.test(document.querySelector('[data-test=advice]')?.textContent || ''))
    await page.click('[data-test=lang-switch]')
    await page.waitForFunction(() => /人群|儿童/.test(document.querySelector('[data-test=advice]')?.textContent || ''))
  })

  test('the water page lists the sections', async () => {
    const { page } = b
    await page.goto(base() + '/public/water')
    const secs = await api(page, '/open/sections?limit=500')
    if (secs.total === 0) {
      await page.waitForSelector('[data-test=empty]')
    } else {
      await page.waitForSelector('[data-test=section]')
      assert.equal((await page.$$('[data-test=section]')).length, secs.total)
    }
    await shot(page, 'public-water-phone')
    assert.deepEqual(b.errors, [])
  })

  test("an enterprise's compliance page shows its outlets against their limits", async () => {
    const { page } = b
    const ents = await api(page, '/open/enterprises?limit=500')
    let target, compliance
    for (const e of ents.items) {
      const c = await api(page, '/open/enterprises/' + e.credit_code)
      if (c.outlets.some((o) => o.factors.some((f) => f.latest && f.limit !== null))) {
        target = e
        compliance = c
        break
      }
    }
    assert.ok(target, 'an enterprise with a limited factor that has data')
    await page.goto(base() + '/public/enterprises')
    await page.fill('[data-test=ent-search]', target.name)
    await page.press('[data-test=ent-search]', 'Enter')
    await page.click(`[data-test=enterprise] a[href="/public/enterprises/${target.credit_code}"]`)
    await page.waitForSelector('[data-test=outlet]')
    assert.equal(await page.textContent('[data-test=ent-name]'), target.name)
    const rows = await page.$$eval('[data-test=factor]', (rs) => rs.map((r) => Number(r.getAttribute('data-hours'))))
    assert.deepEqual(rows, compliance.outlets.flatMap((o) => o.factors.map((f) => f.exceedance_hours)))
    const body = await page.textContent('body')
    assert.ok(!/contact|联系人|电话/i.test(body), 'no contact on the public page')
    await shot(page, 'public-compliance-phone')
    assert.deepEqual(b.errors, [])
  })

  test('a researcher requests an API key and an administrator approves it', async () => {
    const { page } = b
    await page.goto(base() + '/public/data')
    await page.fill('input[name=name]', '李研究')
    await page.fill('input[name=organisation]', '中南大学')
    await page.fill('input[name=email]', 'li@example.edu.cn')
    await page.fill('textarea[name=purpose]', '湖南省 PM2.5 暴露研究 (e2e)')
    await page.click('[data-test=key-submit]')
    const key = (await page.textContent('[data-test=key]')).trim()
    assert.match(key, /^ewk_[A-Za-z0-9_-]{40,}$/)
    const res = await page.request.get(base() + '/api/v1/open/stations?limit=1', { headers: { 'X-API-Key': key } })
    assert.equal(res.headers()['x-api-key-status'], 'pending')
    const admin = await open({ width: 390, height: 844 })
    try {
      await signIn(admin.page, 'admin')
      await admin.page.goto(base() + '/public/data')
      await admin.page.waitForSelector('[data-test=pending-key]')
      await admin.page.click('[data-test=pending-key]:has-text("李研究") [data-test=approve]')
      await admin.page.waitForFunction(() => ![...document.querySelectorAll('[data-test=pending-key]')].some((r) => r.textContent.includes('李研究')))
    } finally {
      await admin.close()
    }
    const after = await page.request.get(base() + '/api/v1/open/stations?limit=1', { headers: { 'X-API-Key': key } })
    assert.equal(after.headers()['x-api-key-status'], 'approved')
    assert.match(after.headers()['x-ratelimit-limit'], /^1200\/m$/)
  })
})
