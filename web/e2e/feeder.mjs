#!/usr/bin/env node
// feeder: simulated enterprises and air stations for the browser tests and,
// until `ecowatch simulate` exists, for `make demo`.
//
//   node feeder.mjs registry DIR N SEED POINTS_JSON   writes DIR/registry-*.csv
//   node feeder.mjs run ADDR DIR [SPEED]              devices send HJ 212 frames to ADDR
//
// `registry` makes N enterprises spread over Hunan's 14 cities (valid
// GB 32100-2015 credit codes), one gas or water outlet each with a device,
// limits, and a device for every seeded air station (read from
// `ecowatch registry list points --json`). `run` connects every device to
// the gateway and sends what a data acquisition unit sends (HJ 212-2017):
// on connect the last 24 hours as hourly data (2061), then real-time data
// (2011) every 10 s divided by SPEED, with some faults: one device in ten
// never connects, outlets exceed their limits now and then, some values
// carry the maintenance (M) or fault (D) flag, and one outlet in thirty is
// stuck at twice its limit (an exceedance and a flat line for the alarms).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'

// HJ 212-2017 6.3.1 and appendix A: CRC-16 over the data segment,
// polynomial 0xA001 (reflected 0x8005), initial 0xFFFF, as implemented by
// every DAU; written as 4 upper-case hex digits.
export function crc16(s) {
  let crc = 0xffff
  for (const b of Buffer.from(s, 'utf8')) {
    crc = (crc >> 8) ^ b
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >> 1) ^ 0xa001 : crc >> 1
  }
  return crc.toString(16).toUpperCase().padStart(4, '0')
}

/** frame wraps a data segment: ## + 4-digit length + data + CRC + CR LF. */
export function frame(data) {
  return '##' + String(Buffer.byteLength(data, 'utf8')).padStart(4, '0') + data + crc16(data) + '\r\n'
}

// GB 32100-2015 5.2: the check character of a unified social credit code.
const codeChars = '0123456789ABCDEFGHJKLMNPQRTUWXY'
const weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
export function creditCode(first17) {
  let sum = 0
  for (let i = 0; i < 17; i++) sum += codeChars.indexOf(first17[i]) * weights[i]
  const c = (31 - (sum % 31)) % 31
  return first17 + codeChars[c]
}

// A small seeded generator (mulberry32), so the same seed gives the same
// province.
function rng(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

// GB/T 2260 codes and rough centres of Hunan's 14 cities.
const cities = [
  ['430100', '长沙', 112.94, 28.23], ['430200', '株洲', 113.13, 27.83], ['430300', '湘潭', 112.94, 27.83],
  ['430400', '衡阳', 112.57, 26.89], ['430500', '邵阳', 111.47, 27.24], ['430600', '岳阳', 113.13, 29.36],
  ['430700', '常德', 111.69, 29.03], ['430800', '张家界', 110.48, 29.12], ['430900', '益阳', 112.36, 28.55],
  ['431000', '郴州', 113.01, 25.77], ['431100', '永州', 111.61, 26.42], ['431200', '怀化', 110.0, 27.57],
  ['431300', '娄底', 112.0, 27.7], ['433100', '湘西', 109.74, 28.31],
]
// Outlet profiles: factors with units, typical values and permitted limits
// (GB 13223-2011 ultra-low emission for coal power; GB 8978-1996 grade 1
// for wastewater COD and NH3-N).
const profiles = {
  gas_outlet: { industry: '4411', kind: '热电', st: '31', factors: [['a21026', 'mg/m3', 22, 35], ['a21002', 'mg/m3', 38, 50], ['a34013', 'mg/m3', 6, 10]] },
  water_outlet: { industry: '2621', kind: '造纸', st: '32', factors: [['w01018', 'mg/L', 40, 100], ['w21003', 'mg/L', 8, 15]] },
}
const password = '123456'

/** waitingDevice is a device the registry does not know: it connects and
 * sends, so it waits for registration; its point exists without a device. */
export const waitingDevice = { mn: '7743010000000001', point: 'E0001-DA002', password }

function csv(rows) {
  return rows.map((r) => r.map((c) => (/[",\n]/.test(String(c)) ? '"' + String(c).replace(/"/g, '""') + '"' : c)).join(',')).join('\n') + '\n'
}

function registry(dir, n, seed, pointsJson) {
  const r = rng(seed)
  const ents = [['credit_code', 'name', 'region_code', 'industry_code', 'address', 'longitude', 'latitude', 'key_units']]
  const points = [['point_code', 'name', 'kind', 'region_code', 'enterprise_code', 'longitude', 'latitude', 'level', 'background', 'in_city_average', 'water_body', 'target_class', 'factors']]
  const devices = [['mn', 'password', 'protocol_version', 'quirks', 'point_code', 'state']]
  const limits = [['point_code', 'factor', 'limit', 'reference_o2', 'standard', 'valid_from', 'valid_to']]
  const plan = []
  for (let i = 0; i < n; i++) {
    const [code, name, lon, lat] = cities[i % cities.length]
    const kind = i % 3 === 2 ? 'water_outlet' : 'gas_outlet'
    const p = profiles[kind]
    const credit = creditCode('9143' + code.slice(2, 4) + '00' + 'MA4L' + String(i + 1).padStart(5, '0'))
    const x = (lon + (r() - 0.5) * 0.6).toFixed(4)
    const y = (lat + (r() - 0.5) * 0.6).toFixed(4)
    ents.push([credit, `${name}${p.kind}示范企业${i + 1}号`, code, p.industry, `${name}市工业园${i + 1}号`, x, y, kind === 'gas_outlet' ? '大气' : '水'])
    const pc = `E${String(i + 1).padStart(4, '0')}-${kind === 'gas_outlet' ? 'DA' : 'DW'}001`
    points.push([pc, kind === 'gas_outlet' ? '1号锅炉排放口' : '废水总排口', kind, code, credit, x, y, '', '', '', '', '', p.factors.map(([f, u]) => `${f}:${u}`).join(';')])
    const mn = `88${code}${String(i + 1).padStart(8, '0')}`
    devices.push([mn, password, 'HJ212-2017', '', pc, 'active'])
    for (const [f, , , lim] of p.factors) limits.push([pc, f, lim, kind === 'gas_outlet' ? 6 : '', kind === 'gas_outlet' ? 'GB 13223-2011' : 'GB 8978-1996', '2020-01-01', ''])
    // One outlet in thirty (the 29th: a 长沙 gas outlet) is faulty: its
    // analyser is stuck at twice the limit, an exceedance and a flat line
    // for the alarm engine. Plans written before this have no fault.
    plan.push({ mn, point: pc, kind, st: p.st, factors: p.factors, offline: i % 10 === 9, fault: i % 30 === 28 ? 'stuck-high' : '' })
  }
  if (n > 0) {
    const gas = profiles.gas_outlet
    points.push([waitingDevice.point, '2号锅炉排放口', 'gas_outlet', '430100', ents[1][0], ents[1][5], ents[1][6], '', '', '', '', '', gas.factors.map(([f, u]) => `${f}:${u}`).join(';')])
    plan.push({ mn: waitingDevice.mn, point: waitingDevice.point, kind: 'gas_outlet', st: gas.st, factors: gas.factors, offline: false })
  }
  const all = JSON.parse(readFileSync(pointsJson, 'utf8')).points ?? []
  let k = 0
  for (const s of all.filter((p) => p.Kind === 'air_station')) {
    const mn = `99${s.RegionCode}${String(++k).padStart(8, '0')}`
    devices.push([mn, password, 'HJ212-2017', '', s.Code, 'active'])
    plan.push({ mn, point: s.Code, kind: 'air_station', st: '22', offline: false })
  }
  mkdirSync(dir, { recursive: true })
  // Tables without rows are left out: with N = 0 only the stations' devices.
  const write = (name, rows) => rows.length > 1 && writeFileSync(join(dir, name), csv(rows))
  write('registry-1-enterprises.csv', ents)
  write('registry-2-points.csv', points)
  write('registry-3-devices.csv', devices)
  write('registry-4-limits.csv', limits)
  writeFileSync(join(dir, 'feeder-plan.json'), JSON.stringify({ seed, plan }))
  console.log(`feeder: ${n} enterprises, ${k} air stations, ${devices.length - 1} devices`)
}

// China Standard Time parts of a Date, as HJ 212 writes times.
function cst(d) {
  const t = new Date(d.getTime() + 8 * 3600e3).toISOString()
  return t.slice(0, 4) + t.slice(5, 7) + t.slice(8, 10) + t.slice(11, 13) + t.slice(14, 16) + t.slice(17, 19)
}
const qn = (d) => cst(d) + String(d.getUTCMilliseconds()).padStart(3, '0')

// Air at a Hunan station: typical winter levels with a diurnal swing and a
// per-city offset, so cities land in different AQI levels.
function air(hour, cityIndex, r) {
  const swing = 1 + 0.35 * Math.sin(((hour - 8) / 24) * 2 * Math.PI)
  const city = 0.6 + (cityIndex % 7) * 0.25
  const v = (base) => base * swing * city * (0.9 + 0.2 * r())
  return [['a34004', v(48), 0], ['a34002', v(75), 0], ['a21026', v(9), 0], ['a21004', v(30), 0], ['a05024', v(60), 0], ['a21005', v(0.9), 1]]
}

function run(addr, dir, speed) {
  const { seed, plan } = JSON.parse(readFileSync(join(dir, 'feeder-plan.json'), 'utf8'))
  const [host, port] = [addr.slice(0, addr.lastIndexOf(':')), Number(addr.slice(addr.lastIndexOf(':') + 1))]
  const period = Math.max(500, 10_000 / speed)
  let sent = 0
  for (const [i, d] of plan.entries()) {
    if (d.offline) continue
    const r = rng(seed * 1000 + i)
    const cityIndex = cities.findIndex(([c]) => c.slice(0, 4) === (d.mn.slice(2, 6)))
    const sock = connect({ host, port })
    sock.on('error', () => {})
    sock.on('data', () => {})
    const send = (cn, dataTime, cp, flag = '4') => {
      const now = new Date()
      sock.write(frame(`QN=${qn(now)};ST=${d.st};CN=${cn};PW=${password};MN=${d.mn};Flag=${flag};CP=&&DataTime=${cst(dataTime)};${cp}&&`))
      sent++
    }
    sock.on('connect', () => {
      // The last 24 hours as hourly data, as a DAU re-sends after a gap.
      const hourNow = new Date(Math.floor(Date.now() / 3600e3) * 3600e3)
      for (let h = 24; h >= 1; h--) {
        const t = new Date(hourNow.getTime() - h * 3600e3)
        const hourCst = (t.getUTCHours() + 8) % 24
        if (d.kind === 'air_station') {
          send('2061', t, air(hourCst, cityIndex, r).map(([f, v, dp]) => `${f}-Avg=${v.toFixed(dp ? 3 : 1)},${f}-Flag=N`).join(';'))
        } else {
          send('2061', t, d.factors.map(([f, , typ]) => `${f}-Avg=${(typ * (0.8 + 0.3 * r())).toFixed(2)},${f}-Flag=N`).join(';'))
        }
      }
      if (d.kind === 'air_station') {
        // Each new hour, the hour just ended (2061 is sent after its
        // interval closes, HJ 212-2017 table 9).
        let last = hourNow.getTime()
        setInterval(() => {
          const h = Math.floor(Date.now() / 3600e3) * 3600e3
          if (h === last) return
          last = h
          const t = new Date(h - 3600e3)
          send('2061', t, air((t.getUTCHours() + 8) % 24, cityIndex, r).map(([f, v, dp]) => `${f}-Avg=${v.toFixed(dp ? 3 : 1)},${f}-Flag=N`).join(';'))
        }, 30_000)
        return
      }
      const tick = () => {
        const now = new Date(Math.floor(Date.now() / 1000) * 1000)
        const exceed = r() < 0.05
        const flag = r() < 0.03 ? (r() < 0.5 ? 'M' : 'D') : 'N'
        if (d.fault === 'stuck-high') {
          send('2011', now, d.factors.map(([f, , , lim]) => `${f}-Rtd=${(lim * 2).toFixed(2)},${f}-Flag=N`).join(';'))
          return
        }
        send('2011', now, d.factors.map(([f, , typ, lim]) => `${f}-Rtd=${(exceed ? lim * (1.1 + r() * 0.5) : typ * (0.8 + 0.3 * r())).toFixed(2)},${f}-Flag=${flag}`).join(';'))
      }
      tick()
      setInterval(tick, period).unref?.()
    })
  }
  setInterval(() => {}, 1 << 30)
  process.on('SIGTERM', () => process.exit(0))
  process.on('SIGINT', () => process.exit(0))
  setInterval(() => process.stderr.write(`feeder: ${sent} frames sent\n`), 30_000)
}

const [cmd, ...args] = process.argv.slice(2)
if (cmd === 'registry') registry(args[0], Number(args[1] ?? 30), Number(args[2] ?? 1), args[3])
else if (cmd === 'run') run(args[0], args[1], Number(args[2] ?? 1))
else if (cmd !== undefined) {
  console.error('usage: feeder.mjs registry DIR N SEED POINTS_JSON | run ADDR DIR [SPEED]')
  process.exit(2)
}
