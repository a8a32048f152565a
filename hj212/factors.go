package hj212

// Factor is one monitored quantity (监测因子) of HJ 212-2017 Appendix B,
// whose codes come from HJ 525 (water, B.1), HJ 524 (gas, B.2) and the
// noise table B.3.
type Factor struct {
	Code     string // 2017 code, e.g. "a21026"
	Code2005 string // HJ/T 212-2005 code, "" if 2005 had none
	NameZH   string
	Name     string
	Unit     string // default unit of -Rtd/-Avg values ("" = dimensionless)
	Table    string // "B.1" water, "B.2" gas, "B.3" noise
}

// factors is a working subset of Appendix B: every code the reference
// (§1.10) lists with its 2005 counterpart, plus the codes our ambient-air
// and water stations send. O3 (a05024, HJ 524-2009) is missing from the
// 2017 table B.2 but real air stations use it, so it is here.
var factors = []Factor{
	// B.1 water (HJ 525)
	{"w00000", "B01", "污水", "wastewater flow", "L/s", "B.1"},
	{"w01001", "001", "pH 值", "pH", "", "B.1"},
	{"w01003", "", "浊度", "turbidity", "NTU", "B.1"},
	{"w01009", "", "溶解氧", "dissolved oxygen", "mg/L", "B.1"},
	{"w01010", "", "水温", "water temperature", "℃", "B.1"},
	{"w01012", "003", "悬浮物", "suspended solids", "mg/L", "B.1"},
	{"w01014", "", "电导率", "conductivity", "μS/cm", "B.1"},
	{"w01017", "010", "五日生化需氧量", "BOD5", "mg/L", "B.1"},
	{"w01018", "011", "化学需氧量", "COD", "mg/L", "B.1"},
	{"w01019", "", "高锰酸盐指数", "permanganate index (CODMn)", "mg/L", "B.1"},
	{"w01020", "015", "总有机碳", "total organic carbon", "mg/L", "B.1"},
	{"w20111", "020", "总汞", "mercury", "mg/L", "B.1"},
	{"w20115", "022", "总镉", "cadmium", "mg/L", "B.1"},
	{"w20116", "023", "总铬", "total chromium", "mg/L", "B.1"},
	{"w20117", "024", "六价铬", "hexavalent chromium", "mg/L", "B.1"},
	{"w20119", "026", "总砷", "arsenic", "mg/L", "B.1"},
	{"w20120", "027", "总铅", "lead", "mg/L", "B.1"},
	{"w21001", "065", "总氮", "total nitrogen", "mg/L", "B.1"},
	{"w21003", "060", "氨氮", "ammonia nitrogen", "mg/L", "B.1"},
	{"w21011", "101", "总磷", "total phosphorus", "mg/L", "B.1"},
	{"w22001", "080", "石油类", "petroleum", "mg/L", "B.1"},
	// B.2 gas (HJ 524)
	{"a00000", "B02", "废气", "flue-gas flow", "m³/s", "B.2"},
	{"a01001", "", "温度", "air temperature", "℃", "B.2"},
	{"a01002", "", "湿度", "relative humidity", "%", "B.2"},
	{"a01006", "", "气压", "air pressure", "kPa", "B.2"},
	{"a01007", "", "风速", "wind speed", "m/s", "B.2"},
	{"a01008", "", "风向", "wind direction", "°", "B.2"},
	{"a01011", "S02", "烟气流速", "flue-gas velocity", "m/s", "B.2"},
	{"a01012", "S03", "烟气温度", "flue-gas temperature", "℃", "B.2"},
	{"a01013", "S08", "烟气压力", "flue-gas pressure", "kPa", "B.2"},
	{"a01014", "S05", "烟气湿度", "flue-gas humidity", "%", "B.2"},
	{"a01016", "S07", "烟道截面积", "duct cross-section", "m²", "B.2"},
	{"a01017", "S04", "烟气动压", "flue-gas dynamic pressure", "Pa", "B.2"},
	{"a01901", "", "垃圾焚烧炉膛内焚烧平均温度", "incinerator furnace temperature", "℃", "B.2"},
	{"a01902", "", "垃圾焚烧炉膛内 DCS 温度", "incinerator furnace DCS temperature", "℃", "B.2"},
	{"a05001", "30", "二氧化碳", "CO2", "%", "B.2"},
	{"a05024", "", "臭氧", "O3", "μg/m³", "HJ 524"},
	{"a19001", "S01", "氧气含量", "O2", "%", "B.2"},
	{"a21001", "10", "氨", "NH3", "mg/m³", "B.2"},
	{"a21002", "03", "氮氧化物", "NOx", "mg/m³", "B.2"},
	{"a21003", "", "一氧化氮", "NO", "mg/m³", "B.2"},
	{"a21004", "", "二氧化氮", "NO2", "mg/m³", "B.2"},
	{"a21005", "04", "一氧化碳", "CO", "mg/m³", "B.2"},
	{"a21024", "08", "氯化氢", "HCl", "mg/m³", "B.2"},
	{"a21026", "02", "二氧化硫", "SO2", "mg/m³", "B.2"},
	{"a24088", "", "非甲烷总烃", "non-methane hydrocarbons", "mg/m³", "B.2"},
	{"a34001", "", "总悬浮颗粒物", "TSP", "μg/m³", "B.2"},
	{"a34002", "", "可吸入颗粒物", "PM10", "μg/m³", "B.2"},
	{"a34004", "", "细颗粒物", "PM2.5", "μg/m³", "B.2"},
	{"a34005", "", "亚微米颗粒物", "PM1.0", "μg/m³", "B.2"},
	{"a34013", "01", "烟尘", "smoke and dust", "mg/m³", "B.2"},
	// B.3 noise
	{"LA", "", "A 计权声级", "A-weighted sound level", "dB(A)", "B.3"},
	{"L5", "", "累积百分声级 L5", "percentile level L5", "dB(A)", "B.3"},
	{"L10", "", "累积百分声级 L10", "percentile level L10", "dB(A)", "B.3"},
	{"L50", "", "累积百分声级 L50", "percentile level L50", "dB(A)", "B.3"},
	{"L90", "", "累积百分声级 L90", "percentile level L90", "dB(A)", "B.3"},
	{"L95", "", "累积百分声级 L95", "percentile level L95", "dB(A)", "B.3"},
	{"Leq", "", "等效连续 A 声级", "equivalent continuous level", "dB(A)", "B.3"},
	{"Ldn", "", "昼夜等效声级", "day-night level", "dB(A)", "B.3"},
	{"Ld", "", "昼间等效声级", "daytime level", "dB(A)", "B.3"},
	{"Ln", "", "夜间等效声级", "night-time level", "dB(A)", "B.3"},
	{"LMx", "", "最大声级", "maximum level", "dB(A)", "B.3"},
	{"LMn", "", "最小声级", "minimum level", "dB(A)", "B.3"},
}

var factorIndex, factor2005Index = func() (map[string]int, map[string]int) {
	m, m05 := map[string]int{}, map[string]int{}
	for i, f := range factors {
		m[f.Code] = i
		if f.Code2005 != "" {
			m05[f.Code2005] = i
		}
	}
	return m, m05
}()

// LookupFactor returns the factor with 2017 code code.
func LookupFactor(code string) (Factor, bool) {
	i, ok := factorIndex[code]
	if !ok {
		return Factor{}, false
	}
	return factors[i], true
}

// LookupFactor2005 maps an HJ/T 212-2005 code (011, B01, 02, S01 …) to its
// 2017 factor.
func LookupFactor2005(code string) (Factor, bool) {
	i, ok := factor2005Index[code]
	if !ok {
		return Factor{}, false
	}
	return factors[i], true
}

// Factors returns the factor table (a copy), water, gas, then noise.
func Factors() []Factor { return append([]Factor(nil), factors...) }
