// AQI levels and colours of HJ 633-2012 table 2 (空气质量指数及相关信息):
// six levels bounded at 50, 100, 150, 200 and 300, each with its official
// colour. The server computes AQI (assess/aqi); the UI only colours it.

/** Level colours, index 0 = level 1 (优) … 5 = level 6 (严重污染). */
export const levelColors = ['#00E400', '#FFFF00', '#FF7E00', '#FF0000', '#99004C', '#7E0023']

/** Upper AQI bound of each level (HJ 633-2012 table 2). */
export const levelUpper = [50, 100, 150, 200, 300, Infinity]

/** level returns 1…6 for an AQI value, or 0 for no value. */
export function level(aqi: number | null | undefined): number {
  if (aqi === null || aqi === undefined || Number.isNaN(aqi)) return 0
  for (let i = 0; i < levelUpper.length; i++) if (aqi <= levelUpper[i]) return i + 1
  return 6
}

/** color returns the official colour for an AQI value; grey when none. */
export function color(aqi: number | null | undefined): string {
  const l = level(aqi)
  return l ? levelColors[l - 1] : '#5b6b7c'
}

/** textOn gives readable text on a level colour (dark on 优/良/轻度). */
export function textOn(aqi: number | null | undefined): string {
  const l = level(aqi)
  return l >= 1 && l <= 3 ? '#111' : '#fff'
}

/** visualPieces is the ECharts visualMap of the six levels. */
export function visualPieces(labels: string[]) {
  const lower = [0, 51, 101, 151, 201, 301]
  return levelColors.map((c, i) => ({
    min: lower[i],
    max: i < 5 ? levelUpper[i] : undefined,
    color: c,
    label: labels[i],
  }))
}
