// Checks of the feeder's protocol helpers against independent references:
// credit codes from the importer's hand-checked test data (GB 32100-2015),
// and frames decoded strictly by the project's own HJ 212 codec
// (`ecowatch hj212 decode`, built by scripts/e2e.sh before these tests).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { creditCode, crc16, frame } from './feeder.mjs'

const root = new URL('../../', import.meta.url).pathname

test('credit codes carry the GB 32100-2015 check character', () => {
  // importer/testdata/enterprises.csv holds valid codes the importer
  // accepts; the feeder must compute the same last character.
  const rows = readFileSync(root + 'importer/testdata/enterprises.csv', 'utf8').trim().split('\n').slice(1)
  assert.ok(rows.length >= 2)
  for (const r of rows) {
    const code = r.split(',')[0]
    assert.equal(creditCode(code.slice(0, 17)), code)
  }
})

test('CRC of a public sample frame', () => {
  // hj212/testdata/public-samples.txt: the first sample the strict decoder
  // accepts ends with its CRC; recompute it over the data segment.
  const lines = readFileSync(root + 'hj212/testdata/public-samples.txt', 'utf8').split('\n').filter((l) => l.startsWith('##'))
  const out = execFileSync(root + 'bin/ecowatch', ['hj212', 'decode', '--lines'], { input: lines.join('\n') + '\n' }).toString().trim().split('\n')
  const i = out.findIndex((l) => JSON.parse(l).ok === true)
  assert.ok(i >= 0, 'some public sample decodes strictly')
  const s = lines[i].replace(/\r?$/, '')
  const data = s.slice(6, s.length - 4)
  assert.equal(crc16(data), s.slice(-4).toUpperCase())
})

test("the feeder's frames decode strictly", () => {
  const f = frame('QN=20201129120000000;ST=31;CN=2011;PW=123456;MN=8843010000000001;Flag=4;CP=&&DataTime=20201129120000;a21026-Rtd=22.10,a21026-Flag=N;a21002-Rtd=38.00,a21002-Flag=D&&')
  const out = JSON.parse(execFileSync(root + 'bin/ecowatch', ['hj212', 'decode', '--lines'], { input: f }).toString().trim())
  assert.equal(out.ok, true, JSON.stringify(out))
  assert.equal(out.cn, '2011')
  assert.equal(out.values.a21002.Flag, 'D')
})
