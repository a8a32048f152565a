// Browser tests of the targets feature (issue 8): the targets page shows
// the province's targets with the server's figures and names the city that
// holds back the good-day ratio; the bulletin's print view is an A4 sheet
// of the 14 cities with nothing else on it, and its XLSX downloads; the
// command centre shows the target gauges. The demo set-up (scripts/demo.sh)
// imports the real Changsha release and the other cities simulated from it.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { api, artifacts, base, open, shot, signIn } from './browser.mjs'

describe('targets', () => {
  let b
  before(async () => {
    b = await open()
    await signIn(b.page, 'province')
  })
  after(async () => {
    await b?.close()
  })

  test('the targets page shows the province, the cities and who holds back the good-day ratio', async () => {
    const { page } = b
    const progress = await api(page, '/targets/progress')
    assert.equal(progress.year, 2020, 'the seeded targets are 2020’s')
    assert.equal(progress.to, '2020-06-30', 'the imported data end on 30 June')
    await page.goto(base() + '/targets')
    await page.waitForSelector('[data-test=target-row]')
    const rows = await page.$$eval('[data-test=target-row]', (rs) => rs.map((r) => ({ ind: r.getAttribute('data-indicator'), status: r.getAttribute('data-status'), text: r.textContent })))
    assert.equal(rows.length, progress.province.items.length)
    const pm = progress.province.items.find((i) => i.target.Indicator === 'pm25_annual_mean')
    assert.ok(pm.figure.value, 'the province has a PM2.5 figure')
    const pmRow = rows.find((r) => r.ind === 'pm25_annual_mean')
    assert.equal(pmRow.status, pm.status)
    assert.ok(pmRow.text.includes(pm.figure.value), `the row shows ${pm.figure.value}: ${pmRow.text}`)
    // Which city holds back the good-day ratio: the server's answer, named.
    const code = progress.holds_back.good_day_ratio
    assert.ok(code, 'with 14 cities of differing data one holds the ratio back')
    const who = await page.getAttribute('[data-test=holds-back]', 'data-region')
    assert.equal(who, code)
    const name = progress.cities.find((c) => c.region === code).name
    assert.match(await page.textContent('[data-test=holds-back]'), new RegExp(name))
    assert.match(await page.textContent('[data-test=simulated]'), /SIMULATED/)
    assert.equal(await page.$$eval('[data-test=city-target-row]', (r) => r.length), 14)
    await page.waitForSelector('[data-test=targets-map] canvas')
    assert.equal(await page.getAttribute('[data-test=targets-map]', 'data-coloured'), '14')
    await shot(page, 'targets')
  })

  test('a supervisor changes a target; the history keeps the old value', async () => {
    const { page } = b
    await page.goto(base() + '/targets')
    await page.click('[data-test=target-row][data-indicator=good_day_ratio] [data-test=edit-target]')
    await page.fill('[data-test=target-value]', '84')
    await page.fill('[data-test=target-note]', 'e2e 调整')
    await page.click('[data-test=confirm]')
    await page.waitForSelector('[data-test=history]')
    assert.match(await page.textContent('[data-test=history]'), /83 → 84/)
    const targets = await api(page, '/targets?year=2020')
    assert.equal(targets.items.find((t) => t.indicator === 'good_day_ratio' && t.region_code === '430000').value, 84)
    // Every registry figure opens its source list.
    await page.click('[data-test=target-row][data-indicator=black_odorous_water_elimination] [data-test=open-registry]')
    await page.waitForSelector('[data-test=modal]')
    await page.click('[data-test=confirm]')
  })

  test('rankings order the cities by the comprehensive index', async () => {
    const { page } = b
    await page.goto(base() + '/targets/rankings?period=month&year=2020&month=1&by=index')
    await page.waitForSelector('[data-test=rank-row]')
    const ranks = await page.$$eval('[data-test=rank-row]', (rs) => rs.map((r) => Number(r.getAttribute('data-rank'))))
    assert.equal(ranks.length, 14)
    assert.equal(ranks[0], 1)
    for (let i = 1; i < ranks.length; i++) assert.ok(ranks[i] >= ranks[i - 1], `ranks ascend: ${ranks}`)
  })

  test('the bulletin prints as an A4 sheet and downloads as XLSX', async () => {
    const { page } = b
    const bul = await api(page, '/targets/bulletins/air?month=2020-01')
    await page.goto(base() + '/targets/bulletin?month=2020-01')
    await page.waitForSelector('[data-test=bulletin-row]')
    const regions = await page.$$eval('[data-test=bulletin-row]', (rs) => rs.map((r) => r.getAttribute('data-region')))
    assert.deepEqual(regions, bul.rows.map((r) => r.region), 'the cities in the server’s rank order')
    const cs = await page.$eval('[data-test=bulletin-row][data-region="430100"]', (r) => [...r.children].map((c) => c.textContent.trim()))
    const row = bul.rows.find((r) => r.region === '430100')
    assert.equal(cs[7], row.pm25, 'Changsha PM2.5 as the server computed it')
    await page.emulateMedia({ media: 'print' })
    assert.equal(await page.$eval('.bar', (e) => getComputedStyle(e).display), 'none', 'the top bar is not printed')
    assert.equal(await page.isVisible('[data-test=print]'), false, 'the buttons are not printed')
    assert.equal(await page.isVisible('[data-test=xlsx]'), false)
    assert.equal(await page.$eval('[data-test=bulletin]', (e) => getComputedStyle(e).backgroundColor), 'rgb(255, 255, 255)')
    await shot(page, 'bulletin-print')
    const pdf = await page.pdf({ path: join(artifacts, 'bulletin-2020-01.pdf'), format: 'A4', landscape: true, printBackground: true, preferCSSPageSize: true })
    assert.ok(pdf.length > 10_000, 'a PDF was produced')
    await page.emulateMedia({ media: 'screen' })
    // Generated on demand into the reports list (the scheduler does the same monthly).
    await page.click('[data-test=generate]')
    await page.waitForFunction(() => document.querySelectorAll('[data-test=report-row]').length >= 2)
    const reports = await api(page, '/targets/reports')
    assert.ok(reports.items.some((r) => r.period === '2020-01' && r.kind === 'air-monthly'))
    const href = await page.getAttribute('[data-test=xlsx]', 'href')
    const res = await page.request.get(base() + href)
    assert.equal(res.status(), 200)
    assert.match(res.headers()['content-type'], /spreadsheetml/)
    const body = await res.body()
    assert.equal(body.subarray(0, 2).toString(), 'PK', 'an XLSX (zip) file')
  })

  test('the command centre shows the target gauges with data', async () => {
    const { page } = b
    await page.goto(base() + '/')
    await page.waitForSelector('[data-test=target-gauge] canvas')
    const gauges = await page.$$eval('[data-test=target-gauge]', (gs) => gs.map((g) => ({ ind: g.getAttribute('data-indicator'), status: g.getAttribute('data-status'), value: g.getAttribute('data-value') })))
    assert.ok(gauges.length >= 3, `gauges: ${JSON.stringify(gauges)}`)
    const withData = gauges.filter((g) => g.value !== '')
    assert.ok(withData.length >= 3, 'PM2.5, good days and heavy days have values')
    assert.ok(withData.every((g) => g.status !== 'no_data'))
    await shot(page, 'targets-gauges')
  })
})
