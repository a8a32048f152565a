package emergency

import (
	"fmt"
	"time"
)

// Grade is an incident's grade by 《国家突发环境事件应急预案》(国办函〔2014〕
// 119号) 附件1 突发环境事件分级标准.
type Grade string

// The four grades, least severe first.
const (
	General         Grade = "general"            // 一般 (Ⅳ级)
	Larger          Grade = "larger"             // 较大 (Ⅲ级)
	Major           Grade = "major"              // 重大 (Ⅱ级)
	ParticularMajor Grade = "particularly_major" // 特别重大 (Ⅰ级)
)

// GradeNames are the Chinese names of the grades.
var GradeNames = map[Grade]string{General: "一般", Larger: "较大", Major: "重大", ParticularMajor: "特别重大"}

var gradeRank = map[Grade]int{General: 1, Larger: 2, Major: 3, ParticularMajor: 4}

// Facts are what an incident report says that the grading looks at. The
// counts are the figures known so far; a report is re-graded as they grow.
type Facts struct {
	Deaths    int `json:"deaths"`    // 死亡
	Poisoned  int `json:"poisoned"`  // 中毒（重伤）
	Evacuated int `json:"evacuated"` // 疏散、转移人员
	// LossYuan is the direct economic loss in yuan.
	LossYuan float64 `json:"loss_yuan"`
	// WaterCut is the level of the town whose centralised drinking-water
	// source stopped supplying: "city" (设区的市级以上), "county" (县级城市),
	// "township" (乡镇), "" none.
	WaterCut string `json:"water_cut"`
	// CrossBoundary is the widest boundary the effects cross: "country"
	// (重大跨国境影响), "province" (跨省级), "city" (跨设区的市级), "county"
	// (跨县级), "" none.
	CrossBoundary string `json:"cross_boundary"`
	// RadioactiveClass is the class (1–5, Ⅰ–Ⅴ) of a radioactive source lost,
	// stolen or out of control; 0 none.
	RadioactiveClass int `json:"radioactive_class"`
}

// Grading is a grade and the criteria that gave it.
type Grading struct {
	Grade Grade    `json:"grade"`
	Basis []string `json:"basis"`
}

// GradeOf grades an incident by the national criteria: the grade is the
// highest any criterion reaches. "以上" includes the bound and "以下" does
// not, as the plan's annex defines (上述分级标准有关数量的表述中，"以上"含本数，
// "以下"不含本数). An incident that reaches no higher criterion is general
// (对环境造成一定影响，尚未达到较大突发环境事件级别的).
func GradeOf(f Facts) Grading {
	g := Grading{Grade: General}
	add := func(gr Grade, why string, args ...any) {
		if gradeRank[gr] > gradeRank[g.Grade] {
			g.Grade = gr
		}
		if gradeRank[gr] > gradeRank[General] {
			g.Basis = append(g.Basis, GradeNames[gr]+"："+fmt.Sprintf(why, args...))
		}
	}
	switch {
	case f.Deaths >= 30:
		add(ParticularMajor, "死亡 %d 人（30 人以上）", f.Deaths)
	case f.Deaths >= 10:
		add(Major, "死亡 %d 人（10 人以上 30 人以下）", f.Deaths)
	case f.Deaths >= 3:
		add(Larger, "死亡 %d 人（3 人以上 10 人以下）", f.Deaths)
	}
	switch {
	case f.Poisoned >= 100:
		add(ParticularMajor, "中毒（重伤）%d 人（100 人以上）", f.Poisoned)
	case f.Poisoned >= 50:
		add(Major, "中毒（重伤）%d 人（50 人以上 100 人以下）", f.Poisoned)
	case f.Poisoned >= 10:
		add(Larger, "中毒（重伤）%d 人（10 人以上 50 人以下）", f.Poisoned)
	}
	switch {
	case f.Evacuated >= 50000:
		add(ParticularMajor, "疏散、转移 %d 人（5 万人以上）", f.Evacuated)
	case f.Evacuated >= 10000:
		add(Major, "疏散、转移 %d 人（1 万人以上 5 万人以下）", f.Evacuated)
	case f.Evacuated >= 5000:
		add(Larger, "疏散、转移 %d 人（5000 人以上 1 万人以下）", f.Evacuated)
	}
	switch {
	case f.LossYuan >= 1e8:
		add(ParticularMajor, "直接经济损失 %.0f 万元（1 亿元以上）", f.LossYuan/1e4)
	case f.LossYuan >= 2e7:
		add(Major, "直接经济损失 %.0f 万元（2000 万元以上 1 亿元以下）", f.LossYuan/1e4)
	case f.LossYuan >= 5e6:
		add(Larger, "直接经济损失 %.0f 万元（500 万元以上 2000 万元以下）", f.LossYuan/1e4)
	}
	switch f.WaterCut {
	case "city":
		add(ParticularMajor, "设区的市级以上城市集中式饮用水水源地取水中断")
	case "county":
		add(Major, "县级城市集中式饮用水水源地取水中断")
	case "township":
		add(Larger, "乡镇集中式饮用水水源地取水中断")
	}
	switch f.CrossBoundary {
	case "country":
		add(ParticularMajor, "造成重大跨国境影响")
	case "province":
		add(Major, "造成跨省级行政区域影响")
	case "city":
		add(Larger, "造成跨设区的市级行政区域影响")
	}
	switch f.RadioactiveClass {
	case 1, 2:
		add(Major, "Ⅰ、Ⅱ类放射源丢失、被盗、失控")
	case 3:
		add(Larger, "Ⅲ类放射源丢失、被盗、失控")
	}
	if len(g.Basis) == 0 {
		g.Basis = []string{"一般：对环境造成一定影响，尚未达到较大突发环境事件级别"}
	}
	return g
}

// CheckFacts rejects impossible figures.
func CheckFacts(f Facts) error {
	if f.Deaths < 0 || f.Poisoned < 0 || f.Evacuated < 0 || f.LossYuan < 0 || f.LossYuan != f.LossYuan {
		return invalid("facts: counts and loss must not be negative")
	}
	switch f.WaterCut {
	case "", "city", "county", "township":
	default:
		return invalid("facts.water_cut %q: want city, county, township or empty", f.WaterCut)
	}
	switch f.CrossBoundary {
	case "", "country", "province", "city", "county":
	default:
		return invalid("facts.cross_boundary %q: want country, province, city, county or empty", f.CrossBoundary)
	}
	if f.RadioactiveClass < 0 || f.RadioactiveClass > 5 {
		return invalid("facts.radioactive_class %d: want 1 to 5 (Ⅰ–Ⅴ) or 0", f.RadioactiveClass)
	}
	return nil
}

// ReviseEvery is how often an emergency plan is reviewed and revised: at
// least every three years (《企业事业单位突发环境事件应急预案备案管理办法
// （试行）》环发〔2015〕4号: 至少每三年对环境应急预案进行一次回顾性评估).
const ReviseEvery = 3

// DrillEvery is the longest gap between two drills of a plan the platform
// accepts before it reminds (the plan's §24 asks for 定期开展应急演练; one a
// year is the usual rule of enterprise plans).
const DrillEvery = 365 * 24 * time.Hour

// Reminder is something about an emergency plan that is due.
type Reminder struct {
	PlanID  int64     `json:"plan_id"`
	Title   string    `json:"title"`
	Region  string    `json:"region"`
	What    string    `json:"what"` // "revision" or "drill"
	Due     time.Time `json:"due"`
	Overdue bool      `json:"overdue"`
}

// PlanState is what the reminders need of a plan.
type PlanState struct {
	ID        int64
	Title     string
	Region    string
	ReviseBy  time.Time // zero while no version is approved
	LastDrill time.Time // zero: never drilled
	Approved  time.Time // the current version's approval
}

// Reminders lists revisions due within lead of now (or overdue) and plans
// with no drill within DrillEvery (counted from approval when never
// drilled). now is the clock.
func Reminders(ps []PlanState, now time.Time, lead time.Duration) []Reminder {
	var out []Reminder
	for _, p := range ps {
		if !p.ReviseBy.IsZero() && p.ReviseBy.Sub(now) <= lead {
			out = append(out, Reminder{PlanID: p.ID, Title: p.Title, Region: p.Region, What: "revision", Due: p.ReviseBy, Overdue: !now.Before(p.ReviseBy)})
		}
		from := p.LastDrill
		if from.IsZero() {
			from = p.Approved
		}
		if !from.IsZero() {
			due := from.Add(DrillEvery)
			if due.Sub(now) <= lead {
				out = append(out, Reminder{PlanID: p.ID, Title: p.Title, Region: p.Region, What: "drill", Due: due, Overdue: !now.Before(due)})
			}
		}
	}
	return out
}
