export default {
  app: { title: 'Environmental Supervision Platform', subtitle: 'Hunan Department of Ecology and Environment' },
  nav: { overview: 'Overview', air: 'Air', sources: 'Sources', devices: 'Devices', admin: 'Administration' },
  lang: { switch: '中文' },
  overview: {
    map: 'Province air quality (latest hourly AQI)',
    noData: 'No data yet',
    loading: 'Loading…',
    error: 'Could not load data: {msg}',
  },
  aqi: { level1: 'Excellent', level2: 'Good', level3: 'Lightly polluted', level4: 'Moderately polluted', level5: 'Heavily polluted', level6: 'Severely polluted' },
}
