package opendata

// Advice is the health effect and the recommended measures of an AQI
// level, as HJ 633-2012 Table 2 (unchanged in HJ 633-2026) gives them;
// the English is our translation.
type Advice struct {
	Level     int    `json:"level"`
	Effect    string `json:"effect"`
	EffectEn  string `json:"effect_en"`
	Measure   string `json:"measure"`
	MeasureEn string `json:"measure_en"`
}

var advice = [7]Advice{
	{Level: 0, Effect: "暂无数据", EffectEn: "No data", Measure: "", MeasureEn: ""},
	{1, "空气质量令人满意，基本无空气污染", "Air quality is satisfactory; there is little or no air pollution.",
		"各类人群可正常活动", "Everyone can carry on as usual."},
	{2, "空气质量可接受，但某些污染物可能对极少数异常敏感人群健康有较弱影响",
		"Air quality is acceptable, but some pollutants may slightly affect a very small number of unusually sensitive people.",
		"极少数异常敏感人群应减少户外活动", "The very few unusually sensitive people should reduce outdoor activity."},
	{3, "易感人群症状有轻度加剧，健康人群出现刺激症状",
		"Symptoms of susceptible people are slightly aggravated; healthy people show signs of irritation.",
		"儿童、老年人及心脏病、呼吸系统疾病患者应减少长时间、高强度的户外锻炼",
		"Children, the elderly and people with heart or respiratory disease should reduce long or strenuous outdoor exercise."},
	{4, "进一步加剧易感人群症状，可能对健康人群心脏、呼吸系统有影响",
		"Symptoms of susceptible people are further aggravated; the heart and respiratory system of healthy people may be affected.",
		"儿童、老年人及心脏病、呼吸系统疾病患者避免长时间、高强度的户外锻炼，一般人群适量减少户外运动",
		"Children, the elderly and people with heart or respiratory disease should avoid long or strenuous outdoor exercise; everyone else should reduce outdoor exercise."},
	{5, "心脏病和肺病患者症状显著加剧，运动耐受力降低，健康人群普遍出现症状",
		"Symptoms of people with heart or lung disease are markedly aggravated and their exercise tolerance falls; healthy people commonly show symptoms.",
		"儿童、老年人和心脏病、肺病患者应停留在室内，停止户外运动，一般人群减少户外运动",
		"Children, the elderly and people with heart or lung disease should stay indoors and stop outdoor exercise; everyone else should reduce outdoor exercise."},
	{6, "健康人群运动耐受力降低，有明显强烈症状，提前出现某些疾病",
		"Healthy people's exercise tolerance falls, with marked and strong symptoms; some diseases appear early.",
		"儿童、老年人和病人应当留在室内，避免体力消耗，一般人群应避免户外活动",
		"Children, the elderly and the sick should stay indoors and avoid physical exertion; everyone else should avoid outdoor activity."},
}

// HealthAdvice returns the advice of an AQI level 1..6; any other level
// (0: no AQI) gets the no-data entry.
func HealthAdvice(level int) Advice {
	if level < 1 || level > 6 {
		return advice[0]
	}
	return advice[level]
}
