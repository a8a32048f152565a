package emergency

import (
	"fmt"
	"math"
	"strings"

	"ecowatch/store"
)

// ErrInvalid is wrapped by every error about bad input of this package;
// it is the store's, so the API answers it as a validation error (422).
var ErrInvalid = store.ErrInvalid

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

// Kind is a kind of environmental risk source, as the work plan's §20
// lists them (对化工企业等环境风险企业、…、移动高风险放射源等环境风险源开展隐患大排查).
type Kind string

// The kinds of §20.
const (
	ChemicalEnterprise Kind = "chemical_enterprise" // 化工企业等环境风险企业
	PortDock           Kind = "port_dock"           // 涉及环境风险物质装卸运输的港口码头
	HazmatTransport    Kind = "hazmat_transport"    // 涉及环境风险物质运输的道路及水路运输载具
	TailingsPond       Kind = "tailings_pond"       // 尾矿库
	FuelGasStation     Kind = "fuel_gas_station"    // 加油站及加气站
	SewagePlant        Kind = "sewage_plant"        // 集中式污水处理厂
	WasteFacility      Kind = "waste_facility"      // 集中式垃圾处理设施
	RadioactiveSource  Kind = "radioactive_source"  // 移动高风险放射源
)

// Kinds lists the kinds in §20's order.
var Kinds = []Kind{ChemicalEnterprise, PortDock, HazmatTransport, TailingsPond, FuelGasStation, SewagePlant, WasteFacility, RadioactiveSource}

// KindNames are the Chinese names of the kinds, as §20 words them.
var KindNames = map[Kind]string{
	ChemicalEnterprise: "化工企业等环境风险企业",
	PortDock:           "港口码头（环境风险物质装卸）",
	HazmatTransport:    "环境风险物质运输载具",
	TailingsPond:       "尾矿库",
	FuelGasStation:     "加油站及加气站",
	SewagePlant:        "集中式污水处理厂",
	WasteFacility:      "集中式垃圾处理设施",
	RadioactiveSource:  "移动高风险放射源",
}

// CaseCategory is the rectification-case category (air, water, soil,
// solid-waste, ecology, noise, radiation) of a hazard at a source of kind
// k: what it would pollute first. Chemical plants, ports, transport and
// sewage plants threaten rivers (§20 puts the Yangtze first); tailings
// ponds and fuel stations the soil and groundwater below them.
func (k Kind) CaseCategory() string {
	switch k {
	case TailingsPond, FuelGasStation:
		return "soil"
	case WasteFacility:
		return "solid-waste"
	case RadioactiveSource:
		return "radiation"
	}
	return "water"
}

// ParseKind accepts a kind's name.
func ParseKind(s string) (Kind, error) {
	for _, k := range Kinds {
		if string(k) == s {
			return k, nil
		}
	}
	return "", invalid("kind %q: want one of %s", s, joinKinds())
}

func joinKinds() string {
	ss := make([]string, len(Kinds))
	for i, k := range Kinds {
		ss[i] = string(k)
	}
	return strings.Join(ss, ", ")
}

// Level is a risk source's environmental risk level, in the three grades
// of HJ 941-2018 (企业突发环境事件风险分级方法): 一般、较大、重大.
type Level string

// Risk levels, lowest first.
const (
	LevelGeneral Level = "general" // 一般环境风险
	LevelLarger  Level = "larger"  // 较大环境风险
	LevelMajor   Level = "major"   // 重大环境风险
)

var levelRank = map[Level]int{LevelGeneral: 1, LevelLarger: 2, LevelMajor: 3}

// ParseLevel accepts a level's name.
func ParseLevel(s string) (Level, error) {
	if _, ok := levelRank[Level(s)]; ok {
		return Level(s), nil
	}
	return "", invalid("level %q: want general, larger or major", s)
}

// raise returns the level one grade higher (major stays major).
func (l Level) raise() Level {
	switch l {
	case LevelGeneral:
		return LevelLarger
	default:
		return LevelMajor
	}
}

// Substance is a hazardous substance kept at (or carried by) a risk source.
type Substance struct {
	Name string `json:"name"`
	CAS  string `json:"cas"`
	// Quantity is the largest amount present at any time, in tonnes.
	Quantity float64 `json:"quantity_t"`
	// Critical is the substance's critical quantity in tonnes (HJ 941-2018
	// appendix A / HJ 169-2018 appendix B); 0 when not listed.
	Critical float64 `json:"critical_t"`
}

// QRatio is HJ 941-2018's Q, the sum of each substance's quantity over its
// critical quantity. ok is false when a substance has no critical quantity,
// so Q cannot be computed from the record alone.
func QRatio(ss []Substance) (q float64, ok bool) {
	ok = len(ss) > 0
	for _, s := range ss {
		if s.Critical <= 0 {
			ok = false
			continue
		}
		q += s.Quantity / s.Critical
	}
	return math.Round(q*1000) / 1000, ok
}

// CheckLevel checks a level against its basis: HJ 941-2018 rates a source
// whose Q is below 1 as general directly (Q < 1 时，企业直接评为一般环境风险
// 等级); above that the level comes from the Q–M–E matrix of the source's
// risk assessment, which the record names in basis. A source rated above
// general with Q < 1 is accepted only when the basis says why (e.g. a
// competent authority's decision), and the basis is never empty.
func CheckLevel(level Level, basis string, ss []Substance) error {
	if _, err := ParseLevel(string(level)); err != nil {
		return err
	}
	if strings.TrimSpace(basis) == "" {
		return invalid("level_basis: say what the level rests on (e.g. 风险评估报告 Q2-M2-E1, HJ 941-2018)")
	}
	for _, s := range ss {
		if strings.TrimSpace(s.Name) == "" || s.Quantity < 0 || s.Critical < 0 || math.IsNaN(s.Quantity) || math.IsInf(s.Quantity, 0) {
			return invalid("substances: each needs a name and non-negative quantities")
		}
	}
	return nil
}

// ReasonKind says what changed a risk source's level.
type ReasonKind string

// Reasons for a level change.
const (
	ReasonRegistered ReasonKind = "registered" // the first level
	ReasonManual     ReasonKind = "manual"     // a reassessment
	ReasonFinding    ReasonKind = "finding"    // critical hazards found in a check
	ReasonIncident   ReasonKind = "incident"   // an incident at the source
	ReasonAlarm      ReasonKind = "alarm"      // sustained alarms at its points
)

// Track is §21's dynamic tracking (动态跟踪) as the platform applies it:
// the level assessed for a source is raised one grade while critical
// hazards found at it are open, and one grade more after an incident at it
// in the last year, up to major. It returns the new level and why; the
// caller stores a change with its history entry when the level differs.
func Track(assessed Level, openCritical, incidentsLastYear int) (Level, string) {
	l := assessed
	var why []string
	if openCritical > 0 {
		l = l.raise()
		why = append(why, fmt.Sprintf("%d 项重大隐患未整改", openCritical))
	}
	if incidentsLastYear > 0 {
		l = l.raise()
		why = append(why, fmt.Sprintf("近一年发生突发环境事件 %d 起", incidentsLastYear))
	}
	if len(why) == 0 {
		return l, "按评估等级"
	}
	return l, strings.Join(why, "；")
}

// CheckItem is one item of a hazard-check checklist.
type CheckItem struct {
	Code     string `json:"code"`
	Text     string `json:"text"`
	Critical bool   `json:"critical"` // a failure is a major hazard (重大隐患)
}

// Checklists are the platform's hazard-check items per kind, after the
// checks 《企业突发环境事件隐患排查和治理工作指南（试行）》(环境保护部公告
// 2016年第74号) asks for (management: plans, drills, materials; facilities:
// containment, interception, monitoring), adapted to each kind.
var Checklists = map[Kind][]CheckItem{
	ChemicalEnterprise: {
		{"plan", "突发环境事件应急预案已备案且在有效期内", false},
		{"drill", "近一年开展过应急演练", false},
		{"cofferdam", "储罐区围堰、防火堤完好，容积满足要求", true},
		{"pool", "事故应急池容积满足要求并保持空置", true},
		{"valve", "雨水排口切换阀（截流措施）可正常关闭", true},
		{"monitor", "有毒有害气体泄漏报警装置运行正常", false},
		{"materials", "应急物资配备齐全", false},
	},
	PortDock: {
		{"plan", "码头应急预案已备案", false},
		{"boom", "围油栏、吸油毡等溢油应急物资配备", true},
		{"recovery", "船舶污染物接收设施运行正常", false},
		{"cargo", "危险货物作业许可与台账一致", true},
	},
	HazmatTransport: {
		{"permit", "道路（水路）危险货物运输许可有效", true},
		{"gps", "卫星定位装置在线", false},
		{"tank", "罐体检验合格、无渗漏", true},
		{"kit", "随车应急处置器材与安全卡齐全", false},
	},
	TailingsPond: {
		{"dam", "坝体无裂缝、滑坡、渗漏异常", true},
		{"flood", "排洪设施畅通，汛期调洪库容满足要求", true},
		{"seepage", "渗滤液收集与回用设施运行正常", false},
		{"monitor", "坝体位移、浸润线在线监测运行正常", false},
		{"plan", "尾矿库环境应急预案已备案", false},
	},
	FuelGasStation: {
		{"tank", "埋地油罐为双层罐或设防渗池", true},
		{"leak", "渗漏检测装置运行正常", false},
		{"vapour", "油气回收装置运行正常", false},
	},
	SewagePlant: {
		{"online", "进出水在线监测运行正常并联网", false},
		{"bypass", "无超越、溢流排放", true},
		{"sludge", "污泥去向合规、台账完整", false},
		{"power", "双回路供电或备用电源", false},
	},
	WasteFacility: {
		{"leachate", "渗滤液收集处理设施运行正常，无外溢", true},
		{"liner", "防渗层完好，地下水监测井正常", true},
		{"gas", "填埋气或焚烧烟气在线监测运行正常", false},
	},
	RadioactiveSource: {
		{"permit", "辐射安全许可证有效", true},
		{"storage", "放射源暂存库双人双锁、视频监控", true},
		{"track", "移动源在线监控（定位）正常", true},
		{"dosimeter", "工作人员个人剂量计佩戴", false},
	},
}

// Result is the outcome of one checklist item at one source.
type Result struct {
	Code string `json:"code"`
	OK   bool   `json:"ok"`
	Note string `json:"note"`
}

// Hazard is a failed checklist item.
type Hazard struct {
	Item     CheckItem
	Note     string
	Critical bool
}

// Evaluate checks a source's results against its kind's checklist: every
// item answered once, no unknown item. It returns the hazards (failed
// items), critical ones first.
func Evaluate(k Kind, results []Result) ([]Hazard, error) {
	items := Checklists[k]
	if len(items) == 0 {
		return nil, invalid("kind %q has no checklist", k)
	}
	byCode := map[string]CheckItem{}
	for _, it := range items {
		byCode[it.Code] = it
	}
	seen := map[string]bool{}
	var crit, other []Hazard
	for _, r := range results {
		it, ok := byCode[r.Code]
		if !ok {
			return nil, invalid("results: item %q is not on the %s checklist", r.Code, k)
		}
		if seen[r.Code] {
			return nil, invalid("results: item %q answered twice", r.Code)
		}
		seen[r.Code] = true
		if r.OK {
			continue
		}
		h := Hazard{Item: it, Note: r.Note, Critical: it.Critical}
		if it.Critical {
			crit = append(crit, h)
		} else {
			other = append(other, h)
		}
	}
	for _, it := range items {
		if !seen[it.Code] {
			return nil, invalid("results: item %q (%s) is not answered", it.Code, it.Text)
		}
	}
	return append(crit, other...), nil
}
