// Browser test of the public targets page (issues 8 and 12) at a phone's
// viewport, as the anonymous public: the page is linked from the public
// navigation; it shows the province's goals with the server's values and
// statuses, a card per city, the map coloured by the good-day ratio's
// status, says which cities' data are simulated, fits the phone and turns
// English with the language switch. Expected values come from the
// server's own public route.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { api, base, open, shot } from './browser.mjs'

describe('public targets on a phone', () => {
  let b
  before(async () => {
    b = await open({ width: 390, height: 844 })
  })
  after(async () => {
    await b?.close()
  })

  test("a citizen sees the province's and each city's progress against the year's goals", async () => {
    const { page } = b
    await page.goto(base() + '/public/water')
    await page.click('[data-test=nav-targets]')
    await page.waitForURL((u) => u.pathname === '/public/targets')
    await page.waitForSelector('[data-test=province-item]')
    const want = await api(page, '/public/targets')
    assert.ok(want.province.items.length > 0, 'the demo has targets for the province')
    const items = await page.$$eval('[data-test=province-item]', (rs) =>
      rs.map((r) => ({ indicator: r.getAttribute('data-indicator'), status: r.getAttribute('data-status'), value: r.getAttribute('data-value'), text: r.textContent })),
    )
    assert.deepEqual(
      items.map(({ indicator, status, value }) => ({ indicator, status, value })),
      want.province.items.map((i) => ({ indicator: i.indicator, status: i.status, value: i.value ?? '' })),
    )
    // The PM2.5 figure is there with its goal, as the server reports them.
    const pm = want.province.items.find((i) => i.indicator === 'pm25_annual_mean')
    assert.ok(pm?.value, 'the province has a PM2.5 figure')
    const pmText = items.find((i) => i.indicator === 'pm25_annual_mean').text
    assert.ok(pmText.includes(pm.value) && pmText.includes('≤ ' + pm.target), `PM2.5 card: ${pmText}`)
    assert.match(await page.textContent('[data-test=as-of]'), new RegExp(want.as_of))

    // A card per city, each with the server's statuses.
    const cities = await page.$$eval('[data-test=public-city]', (cs) =>
      cs.map((c) => ({ region: c.getAttribute('data-region'), statuses: [...c.querySelectorAll('[data-test=city-item]')].map((r) => r.getAttribute('data-status')) })),
    )
    assert.equal(cities.length, want.cities.length)
    assert.equal(cities.length, 14, 'the demo province has 14 cities')
    for (const c of want.cities) {
      assert.deepEqual(cities.find((x) => x.region === c.region)?.statuses, c.items.map((i) => i.status), `city ${c.region}`)
    }
    // The map is coloured by the good-day ratio: every city with a status.
    await page.waitForSelector('[data-test=public-targets-map] canvas')
    const coloured = want.cities.filter((c) => c.items.some((i) => i.indicator === 'good_day_ratio' && i.status !== 'no_data')).length
    assert.ok(coloured > 0)
    assert.equal(await page.getAttribute('[data-test=public-targets-map]', 'data-coloured'), String(coloured))
    // The demo's derived cities are labelled as simulated.
    assert.ok(want.simulated.length > 0, 'the demo imports simulated cities')
    const note = await page.textContent('[data-test=simulated]')
    const first = want.cities.find((c) => c.region === want.simulated[0])
    assert.ok(note.includes('SIMULATED') && note.includes(first.name), note)
    // Nothing from the internal view: no contributions, no sources.
    const body = await page.textContent('body')
    assert.ok(!/拖后腿|Holding the province back|来源/.test(body), 'no internal parts on the public page')
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    const wide = await page.evaluate(() =>
      [...document.querySelectorAll('body *')]
        .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
        .slice(0, 5)
        .map((e) => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`),
    )
    assert.ok(overflow <= 1, `page is ${overflow}px wider than the phone: ${wide.join(', ')}`)
    await shot(page, 'public-targets-phone')
    await page.$eval('[data-test=public-city]', (e) => e.scrollIntoView())
    await shot(page, 'public-targets-cities-phone')
    assert.deepEqual(b.errors, [])
  })

  test('the language switch shows the goals in English', async () => {
    const { page } = b
    await page.click('[data-test=lang-switch]')
    await page.waitForFunction(() => /Progress towards/.test(document.querySelector('[data-test=targets-title]')?.textContent || ''))
    const pm = await page.textContent('[data-test=province-item][data-indicator=pm25_annual_mean]')
    assert.match(pm, /PM2\.5 annual mean/)
    assert.match(await page.textContent('[data-test=public-city][data-region="430100"]'), /Changsha/)
    assert.match(await page.textContent('[data-test=simulated]'), /SIMULATED and are not real measurements/)
    await page.click('[data-test=lang-switch]')
    await page.waitForFunction(() => /年度目标进展/.test(document.querySelector('[data-test=targets-title]')?.textContent || ''))
    assert.deepEqual(b.errors, [])
  })
})
