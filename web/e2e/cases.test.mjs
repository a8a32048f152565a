// Browser tests of the cases feature (issue 7): a public complaint is
// submitted without an account and tracked by its code, triaged into a
// case; a case registered by hand is assigned, rectified with a progress
// report and a photo, verified and closed (销号) by three different demo
// roles, with the timeline and audit history to show for it. Run by
// scripts/e2e.sh against a seeded server with the demo accounts.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { api, base, open, shot, signIn } from './browser.mjs'

// A real 1×1 PNG (IHDR, IDAT, IEND): the server checks uploads by content.
const png = Buffer.from(
  '89504e470d0a1a0a0000000d4948445200000001000000010806000000' +
    '1f15c4890000000d49444154789c6360f8cfc0f01f0005000201' +
    'a5d2a0e30000000049454e44ae426082',
  'hex',
)

describe('cases, complaints and audit', () => {
  let b
  let dir
  let photo
  before(async () => {
    b = await open()
    dir = mkdtempSync(join(tmpdir(), 'ecowatch-cases-e2e-'))
    photo = join(dir, '现场照片.png')
    writeFileSync(photo, png)
  })
  after(async () => {
    await b?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  async function as(user) {
    await b.context.clearCookies()
    await signIn(b.page, user)
  }

  test('the public reports a problem on a phone, tracks it, and sees the result after triage', async () => {
    const phone = await open({ width: 390, height: 844 })
    try {
      const { page } = phone
      await page.goto(base() + '/complain')
      await page.fill('textarea[name=what]', '浏阳河边排污口夜间排放黑色废水，有刺鼻气味')
      await page.fill('input[name=address]', '长沙市芙蓉区浏阳河东岸')
      await page.selectOption('select[name=region]', '430100')
      // The place: a tap on the province map fills longitude and latitude.
      const map = page.locator('[data-test=complaint-map]')
      await page.waitForSelector('[data-test=complaint-map] canvas')
      await map.scrollIntoViewIfNeeded()
      const box = await map.boundingBox()
      await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2)
      await page.waitForFunction(() => document.querySelector('input[name=lon]').value !== '')
      const lon = Number(await page.inputValue('input[name=lon]'))
      const lat = Number(await page.inputValue('input[name=lat]'))
      assert.ok(lon > 108.7 && lon < 114.3 && lat > 24.6 && lat < 30.2, `tapped point ${lon}, ${lat} lies in Hunan`)
      await page.setInputFiles('input[name=photos]', photo)
      await page.check('input[name=anonymous]')
      await shot(page, 'complaint-form-phone')
      await page.click('[data-test=complaint-submit]')
      await page.waitForSelector('[data-test=tracking-code]')
      const code = (await page.textContent('[data-test=tracking-code]')).trim()
      assert.match(code, /^[2-9A-HJKMNP-Z]{14}$/, `tracking code ${code}`)
      // No sideways scrolling on a phone.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
      assert.ok(overflow <= 0, `the complaint page is ${overflow} px wider than the phone`)
      await page.click('[data-test=track-link]')
      await page.waitForSelector('[data-test=track-result]')
      assert.equal(await page.getAttribute('[data-test=track-result]', 'data-state'), 'received')
      assert.match(await page.textContent('[data-test=track-state]'), /已受理/)

      // Triage by the province: assign to 长沙, verify (confirmed: a case
      // is opened), give the public feedback.
      await as('province')
      const { page: p } = b
      const list = await api(p, '/complaints?limit=500')
      const mine = list.items.find((c) => c.tracking_code === code)
      assert.ok(mine, 'the complaint is in the triage queue')
      assert.equal(mine.contact, '', 'an anonymous complaint keeps no contact')
      assert.ok(Math.abs(mine.lon - lon) < 1e-5 && Math.abs(mine.lat - lat) < 1e-5, `stored point ${mine.lon}, ${mine.lat}`)
      await p.goto(base() + '/complaints')
      await p.click(`[data-test=complaint-row]:has(td:text-is("${mine.id}"))`)
      await p.waitForSelector('[data-test=complaint-detail][data-state=received]')
      await p.selectOption('[data-test=assign-region]', '430100')
      await p.click('[data-test=do-assign]')
      await p.waitForSelector('[data-test=complaint-detail][data-state=assigned]')
      await p.selectOption('[data-test=verify-result]', 'confirmed')
      await p.click('[data-test=do-verify]')
      await p.waitForSelector('[data-test=complaint-detail][data-state=verified]')
      await p.waitForSelector('[data-test=complaint-case]')
      await p.fill('[data-test=feedback-text]', '经现场核实，举报属实，已立案责令整改。')
      await p.click('[data-test=do-feedback]')
      await p.waitForSelector('[data-test=complaint-detail][data-state=closed]')
      await shot(p, 'complaint-triage')

      await page.reload()
      await page.waitForSelector('[data-test=track-result][data-state=closed]')
      assert.match(await page.textContent('[data-test=track-feedback]'), /举报属实，已立案/)
      await shot(page, 'complaint-track-phone')
      assert.deepEqual(phone.errors, [], 'no script errors on the public pages')
    } finally {
      await phone.close()
    }
  })

  test('a case registered by hand is assigned, rectified, verified and closed by three roles', async () => {
    const { page } = b
    const title = '中央环保督察反馈：湘江某排口整改 ' + Date.now()
    // 1. The 长沙 city officer registers it and assigns it.
    await as('changsha')
    await page.goto(base() + '/cases')
    await page.click('[data-test=case-new]')
    await page.fill('[data-test=case-form] input[name=title]', title)
    await page.fill('[data-test=case-form] textarea[name=description]', '排口未完成截污纳管')
    await page.selectOption('[data-test=case-form] select[name=source]', 'central-inspection')
    await page.selectOption('[data-test=case-form] select[name=category]', 'water')
    await page.fill('[data-test=case-form] input[name=region_code]', '430102')
    await page.fill('[data-test=case-form] input[name=lead_department]', 'hn-eco-env')
    await page.click('[data-test=case-save]')
    await page.waitForSelector('[data-test=case-page][data-state=registered]')
    const id = await page.getAttribute('[data-test=case-page]', 'data-id')
    const act = async (action, fill, state) => {
      await page.click(`[data-test=act-${action}]`)
      if (fill) await fill()
      await page.click('[data-test=act-go]')
      if (state) await page.waitForSelector(`[data-test=case-page][data-state=${state}]`)
    }
    await act('assign', () => page.fill('[data-test=act-form] input[name=assignee]', 'officer'), 'assigned')

    // 2. The enforcement officer starts the rectification, reports
    // progress with a photo and submits it for verification.
    await as('officer')
    await page.goto(base() + '/cases/' + id)
    await act('start', () => page.fill('[data-test=act-form] textarea[name=plan]', '截污纳管，新建管网 800 米'), 'rectifying')
    await act('report', async () => {
      await page.fill('[data-test=act-form] textarea[name=note]', '管网施工完成 60%')
      await page.setInputFiles('[data-test=act-form] input[name=files]', photo)
    })
    await page.waitForSelector('[data-test=timeline] li[data-action=report] [data-test=attachment] img')
    await act('submit', () => page.fill('[data-test=act-form] textarea[name=note]', '整改完成，申请核查'), 'submitted')
    // The submitter may not verify their own rectification.
    assert.equal(await page.$('[data-test=act-verify]'), null, 'the submitter is offered verification')

    // 3. The city officer verifies on site (someone other than the
    // submitter) ...
    await as('changsha')
    await page.goto(base() + '/cases/' + id)
    await act('verify', async () => {
      await page.selectOption('[data-test=act-form] select[name=method]', 'on-site')
      await page.fill('[data-test=act-form] textarea[name=note]', '现场核查：管网已通水')
    }, 'verified')
    // The verifier may not also approve the closure of what they checked.
    assert.equal(await page.$('[data-test=act-close]'), null, 'the verifier is offered the closure')

    // ... and the province approves the closure (销号).
    await as('province')
    await page.goto(base() + '/cases/' + id)
    await act('close', () => page.fill('[data-test=act-form] textarea[name=note]', '同意销号'), 'closed')
    const actions = await page.$$eval('[data-test=timeline] li', (ls) => ls.map((l) => l.getAttribute('data-action')))
    assert.deepEqual(actions, ['register', 'assign', 'start', 'report', 'submit', 'verify', 'close'])
    const audit = await page.$$eval('[data-test=case-audit] tbody tr', (rs) => rs.map((r) => [r.children[1].textContent, r.children[2].textContent]))
    assert.deepEqual(audit, [
      ['changsha', 'case.create'], ['changsha', 'case.assign'], ['officer', 'case.start'], ['officer', 'case.report'],
      ['officer', 'case.submit'], ['changsha', 'case.verify'], ['province', 'case.close'],
    ])
    await shot(page, 'case-closed')
    const detail = await api(page, '/cases/' + id)
    assert.equal(detail.case.closed_by, 'province')
    assert.equal(detail.case.verified_by, 'changsha')
    assert.equal(detail.case.submitted_by, 'officer')

    // The list, the board and the command-centre figures show it.
    await page.goto(base() + '/cases')
    await page.selectOption('[data-test=filter-state]', 'closed')
    await page.waitForSelector(`[data-test=case-row][data-id="${id}"]`)
    await page.click('[data-test=view-board]')
    await page.waitForSelector('[data-test=case-board] [data-state=closed] [data-test=case-card]')
    await shot(page, 'case-board')
    await page.goto(base() + '/')
    await page.waitForSelector('[data-test=case-stats] [data-test=stat-closed]')
    const stats = await api(page, '/case-stats')
    assert.ok(stats.closed >= 1, 'closed cases counted')
    assert.equal(await page.textContent('[data-test=stat-closed]'), String(stats.closed))

    // The audit chain holds, and the supervisor can check it.
    const chain = await api(page, '/audit/verify')
    assert.equal(chain.ok, true, JSON.stringify(chain))
    assert.deepEqual(b.errors, [], 'no script errors on the case pages')
  })
})
