// Browser test of the compliance page's cases and inspections (issues 12,
// 7 and 10) at a phone's viewport. A province supervisor registers three
// cases against an enterprise through the API: one from a provincial
// inspection that is assigned (published), one only registered (not yet
// confirmed: not published) and one from a leader's instruction (an
// internal document: not published). The public then sees exactly the
// first, with its public state, and none of the officers' text or names.
// A random draw in Changsha is run and an officer completes one of its
// inspections without a problem: the inspected enterprise's page lists
// the result, without the officers.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { api, base, open, shot, signIn } from './browser.mjs'

const secret = { person: '联系人李四', note: '内部意见：e2e 不公开', assignee: '李四整改组' }

describe('compliance page: cases and inspections on a phone', () => {
  let b
  before(async () => {
    b = await open({ width: 390, height: 844 })
  })
  after(async () => {
    await b?.close()
  })

  test('the public sees the published cases only, without names or notes', async () => {
    const sup = await open()
    let ent, cases
    try {
      const { page } = sup
      await signIn(page, 'province')
      const { csrf_token: csrf } = await api(page, '/session')
      const ents = await api(page, '/open/enterprises?limit=500')
      ent = ents.items[ents.items.length - 1]
      const post = async (path, data) => {
        const res = await page.request.post(base() + '/api/v1' + path, { data, headers: { 'X-CSRF-Token': csrf } })
        assert.ok(res.ok(), `POST ${path}: ${res.status()} ${await res.text()}`)
        return res.json()
      }
      const deadline = new Date(Date.now() + 30 * 86400e3).toISOString()
      const create = (source, title) =>
        post('/cases', { title: `${title}（${secret.person}）`, description: secret.note, source, category: 'air', severity: 'medium', enterprise_code: ent.credit_code, deadline })
      const published = await create('provincial-inspection', 'e2e 公开案件')
      await post(`/cases/${published.id}/actions/assign`, { assignee: secret.assignee, note: secret.note })
      const registered = await create('central-inspection', 'e2e 未交办案件')
      const internal = await create('leaders-instruction', 'e2e 内部案件')
      await post(`/cases/${internal.id}/actions/assign`, { assignee: secret.assignee })
      cases = { published: published.id, registered: registered.id, internal: internal.id }
    } finally {
      await sup.close()
    }

    // A random draw of Changsha's enterprises; an officer completes one.
    let inspected
    const boss = await open()
    try {
      const { page } = boss
      await signIn(page, 'province')
      const { csrf_token: csrf } = await api(page, '/session')
      const post = async (path, data) => {
        const res = await page.request.post(base() + '/api/v1' + path, { data, headers: { 'X-CSRF-Token': csrf } })
        assert.ok(res.ok(), `POST ${path}: ${res.status()} ${await res.text()}`)
        return res.json()
      }
      const groups = ['key', 'focus', 'general'].map((group) => ({ group, ratio: 1 }))
      const d = await post('/inspections/draws', { plan: { region: '430100', period: '2026-11', groups, teams: 1, team_size: 2 } })
      await post(`/inspections/draws/${d.id}/run`, { seed: 'e2e public compliance' })
      await b.context.clearCookies()
      await signIn(b.page, 'officer')
      const { csrf_token: csrf2 } = await api(b.page, '/session')
      const tasks = await api(b.page, '/inspections/tasks?state=open&limit=500')
      const task = tasks.items.find((x) => x.draw_id === d.id)
      assert.ok(task, 'the officer has a task of the draw')
      const { checklist } = await api(b.page, `/inspections/tasks/${task.id}`)
      const report = { outcome: 'no_problem', checklist: checklist.map((c) => ({ code: c.code, ok: true, note: '' })), findings: [], minutes: 60, summary: secret.note, inspected_on: '2026-11-20' }
      const res = await b.page.request.post(base() + `/api/v1/inspections/tasks/${task.id}/complete`, { data: report, headers: { 'X-CSRF-Token': csrf2 } })
      assert.ok(res.ok(), `complete: ${res.status()} ${await res.text()}`)
      inspected = task
      await b.context.clearCookies()
    } finally {
      await boss.close()
    }

    const { page } = b
    const insp = await api(page, '/open/enterprises/' + inspected.credit_code)
    const row = insp.inspections.find((i) => i.task_id === inspected.id)
    assert.ok(row && row.outcome === 'no_problem' && row.follow_up === 'none', `the completed inspection is public: ${JSON.stringify(insp.inspections)}`)
    await page.goto(base() + '/public/enterprises/' + inspected.credit_code)
    await page.waitForSelector(`[data-test=inspection][data-task="${inspected.id}"]`)
    assert.equal((await page.$$('[data-test=inspection]')).length, insp.inspections.length)
    const irow = await page.textContent(`[data-test=inspection][data-task="${inspected.id}"]`)
    assert.match(irow, /2026-11-20/)
    assert.match(irow, /未发现问题/)
    const ibody = await page.textContent('body')
    assert.ok(!/officer|执法人员/.test(ibody) && !ibody.includes(secret.note), 'no officers or their summary on the public page')
    await page.$eval('[data-test=inspections]', (e) => e.scrollIntoView())
    await shot(page, 'public-compliance-inspection-phone')

    const want = await api(page, '/open/enterprises/' + ent.credit_code)
    const ids = want.cases.map((c) => c.id)
    assert.ok(ids.includes(cases.published), `the assigned case is published: ${ids}`)
    assert.ok(!ids.includes(cases.registered) && !ids.includes(cases.internal), `unconfirmed and internal cases are not: ${ids}`)
    await page.goto(base() + '/public/enterprises/' + ent.credit_code)
    await page.waitForSelector(`[data-test=case][data-case="${cases.published}"]`)
    const shown = await page.$$eval('[data-test=case]', (cs) => cs.map((c) => ({ id: Number(c.getAttribute('data-case')), state: c.getAttribute('data-state') })))
    assert.deepEqual(shown, want.cases.map((c) => ({ id: c.id, state: c.state })))
    assert.equal(shown.find((c) => c.id === cases.published).state, 'rectifying')
    assert.match(await page.textContent(`[data-test=case][data-case="${cases.published}"]`), /整改中/)
    assert.match(await page.textContent(`[data-test=case][data-case="${cases.published}"]`), /省级生态环境保护督察/)
    // The inspections are the server's.
    await page.waitForSelector('[data-test=inspections]')
    assert.equal((await page.$$('[data-test=inspection]')).length, want.inspections.length)
    const body = await page.textContent('body')
    for (const s of Object.values(secret)) assert.ok(!body.includes(s), `the page shows ${s}`)
    assert.ok(!body.includes('e2e 内部案件') && !body.includes('e2e 未交办案件'))
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    assert.ok(overflow <= 1, `page is ${overflow}px wider than the phone`)
    await page.$eval('[data-test=cases]', (e) => e.scrollIntoView())
    await shot(page, 'public-compliance-cases-phone')
    assert.deepEqual(b.errors, [])
  })
})
