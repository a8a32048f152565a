// Only the ECharts parts the pages use, so the command centre loads a
// third of the full library (it must be interactive within 2 s).
import * as echarts from 'echarts/core'
import { BarChart, HeatmapChart, LineChart, MapChart, ScatterChart } from 'echarts/charts'
import {
  CalendarComponent,
  GeoComponent,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  TooltipComponent,
  VisualMapComponent,
} from 'echarts/components'
import { CanvasRenderer } from 'echarts/renderers'

echarts.use([
  BarChart,
  HeatmapChart,
  LineChart,
  MapChart,
  ScatterChart,
  CalendarComponent,
  GeoComponent,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  TooltipComponent,
  VisualMapComponent,
  CanvasRenderer,
])

export { echarts }
export type EChartsCoreOption = echarts.EChartsCoreOption
