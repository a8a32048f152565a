export default {
  app: { title: '生态环境监管平台', subtitle: '湖南省生态环境厅' },
  nav: { overview: '总览', air: '空气', sources: '污染源', devices: '设备', admin: '系统' },
  lang: { switch: 'English' },
  overview: {
    map: '全省空气质量（最新小时 AQI）',
    noData: '暂无数据',
    loading: '加载中…',
    error: '数据加载失败：{msg}',
  },
  aqi: { level1: '优', level2: '良', level3: '轻度污染', level4: '中度污染', level5: '重度污染', level6: '严重污染' },
}
