// The 14 cities of Hunan (GB/T 2260), for the public complaint form: the
// public page must work without an account, and /regions needs one.
export interface RegionLite {
  code: string
  name: string
}

export const cities: RegionLite[] = [
  { code: '430100', name: '长沙市' },
  { code: '430200', name: '株洲市' },
  { code: '430300', name: '湘潭市' },
  { code: '430400', name: '衡阳市' },
  { code: '430500', name: '邵阳市' },
  { code: '430600', name: '岳阳市' },
  { code: '430700', name: '常德市' },
  { code: '430800', name: '张家界市' },
  { code: '430900', name: '益阳市' },
  { code: '431000', name: '郴州市' },
  { code: '431100', name: '永州市' },
  { code: '431200', name: '怀化市' },
  { code: '431300', name: '娄底市' },
  { code: '433100', name: '湘西土家族苗族自治州' },
]
