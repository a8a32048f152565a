import { open, signIn, shot, base } from '/work/main/web/e2e/browser.mjs'
const b = await open()
const { page } = b
page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') console.log('console', m.type(), m.text().slice(0, 300)) })
await signIn(page, process.argv[2] || 'province', 'Hunan-2020-demo')
for (const p of ['/', '/air', '/sources', '/sources/91430100MA4L0000X9', '/sources/91430200MA4L0000XE', '/devices', '/admin', '/frames/50']) {
  await page.goto(base() + p)
  await page.waitForTimeout(1500)
  const name = 'smoke' + p.replace(/\//g, '_')
  await shot(page, name)
  const err = await page.$('[data-test=error]')
  console.log(p, err ? 'ERROR: ' + (await err.textContent()) : 'ok', (await page.textContent('main')).slice(0, 150).replace(/\s+/g, ' '))
}
console.log('pageerrors', b.errors)
await b.close()
