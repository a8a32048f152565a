package inspect

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Task sources: a random draw, a targeted inspection from an alarm or a
// complaint, or a remote (off-site) lead.
const (
	SourceRandom   = "random"
	SourceTargeted = "targeted"
	SourceRemote   = "remote"
)

// Task states.
const (
	TaskOpen = "open"
	TaskDone = "done"
)

// Outcomes of an inspection.
const (
	OutcomeNoProblem = "no_problem" // 未发现问题
	OutcomeProblems  = "problems"   // 发现问题 → a rectification case
	OutcomeReferral  = "referral"   // 移送处罚
)

// Task is one inspection to make: of one enterprise, by a team.
type Task struct {
	ID             int64     `json:"id"`
	Source         string    `json:"source"`
	SourceRef      string    `json:"source_ref"` // e.g. "alarm:42", "complaint:7", "lead:<credit code>"
	DrawID         int64     `json:"draw_id"`
	Team           int       `json:"team"`
	Group          Group     `json:"group"`
	CreditCode     string    `json:"credit_code"`
	EnterpriseName string    `json:"enterprise_name"`
	Region         string    `json:"region"`
	Industry       string    `json:"industry"`
	Period         string    `json:"period"`
	Officers       []string  `json:"officers"`
	State          string    `json:"state"`
	Created        time.Time `json:"created"`

	// The inspection record, once done.
	Outcome     string        `json:"outcome"`
	Checklist   []CheckAnswer `json:"checklist"`
	Findings    []Finding     `json:"findings"`
	Summary     string        `json:"summary"`
	CaseID      int64         `json:"case_id"`
	Minutes     int           `json:"minutes"`
	InspectedOn string        `json:"inspected_on"`
	CompletedBy string        `json:"completed_by"`
	Completed   time.Time     `json:"completed"`
}

// CheckItem is one line of an inspection checklist.
type CheckItem struct {
	Code string `json:"code"`
	Zh   string `json:"zh"`
	En   string `json:"en"`
}

// CheckAnswer is the inspector's answer to one checklist line.
type CheckAnswer struct {
	Code string `json:"code"`
	OK   bool   `json:"ok"`
	Note string `json:"note"`
}

// Finding is one problem found, with the ids of its photos and files.
type Finding struct {
	Text        string  `json:"text"`
	Attachments []int64 `json:"attachments"`
}

// Report is what an officer submits to complete a task.
type Report struct {
	Outcome     string        `json:"outcome"`
	Checklist   []CheckAnswer `json:"checklist"`
	Findings    []Finding     `json:"findings"`
	Summary     string        `json:"summary"`
	Minutes     int           `json:"minutes"`      // time spent on site and writing up
	InspectedOn string        `json:"inspected_on"` // YYYY-MM-DD
}

var commonChecks = []CheckItem{
	{"permit", "排污许可证在有效期内，按证排污", "Discharge permit valid and complied with"},
	{"outlet-sign", "排放口规范化设置及标志牌", "Outlets built to standard and signposted"},
	{"facility-running", "污染治理设施正常运行", "Treatment facilities running"},
	{"ledger", "环境管理台账完整", "Environmental ledgers complete"},
	{"hazardous-waste", "危险废物贮存、转移合规", "Hazardous waste stored and transferred by the rules"},
	{"emergency-plan", "突发环境事件应急预案备案并演练", "Emergency plan filed and exercised"},
}

// industryChecks are the extra lines per GB/T 4754-2017 major class
// (the first two digits of the industry code).
var industryChecks = map[string][]CheckItem{
	"44": { // 电力、热力生产和供应业
		{"cems", "烟气自动监测设备正常运行、数据真实", "Flue-gas CEMS running, data genuine"},
		{"desulfurization", "脱硫脱硝除尘设施投运率", "Desulfurisation, denitrification and dust removal in service"},
	},
	"30": { // 非金属矿物制品业 (cement, glass)
		{"cems", "烟气自动监测设备正常运行、数据真实", "Flue-gas CEMS running, data genuine"},
		{"fugitive-dust", "物料堆场及无组织排放控制", "Stockpiles and fugitive emissions controlled"},
	},
	"26": { // 化学原料和化学制品制造业
		{"vocs", "挥发性有机物收集与治理", "VOC capture and treatment"},
		{"leak-detection", "泄漏检测与修复（LDAR）", "Leak detection and repair (LDAR)"},
	},
	"46": { // 水的生产和供应业 (sewage treatment 4620)
		{"water-cems", "进出水自动监测设备正常运行", "Inflow and outflow monitors running"},
		{"sludge", "污泥处置去向可追溯", "Sludge disposal traceable"},
	},
	"31": { // 黑色金属冶炼和压延加工业
		{"cems", "烟气自动监测设备正常运行、数据真实", "Flue-gas CEMS running, data genuine"},
		{"fugitive-dust", "物料堆场及无组织排放控制", "Stockpiles and fugitive emissions controlled"},
	},
}

// Checklist is the checklist of an industry (GB/T 4754 code): the common
// lines and those of its major class.
func Checklist(industry string) []CheckItem {
	out := slices.Clone(commonChecks)
	if len(industry) >= 2 {
		out = append(out, industryChecks[industry[:2]]...)
	}
	return out
}

// Validate checks a report against the task's checklist: every line
// answered once, findings when the outcome says problems, none otherwise.
func (r *Report) Validate(industry string) error {
	switch r.Outcome {
	case OutcomeNoProblem, OutcomeProblems, OutcomeReferral:
	default:
		return invalidf("outcome %q: want no_problem, problems or referral", r.Outcome)
	}
	want := Checklist(industry)
	answered := map[string]bool{}
	for _, a := range r.Checklist {
		if !slices.ContainsFunc(want, func(c CheckItem) bool { return c.Code == a.Code }) {
			return invalidf("checklist: %q is not on the checklist of industry %q", a.Code, industry)
		}
		if answered[a.Code] {
			return invalidf("checklist: %s answered twice", a.Code)
		}
		if len(a.Note) > 2000 || !utf8.ValidString(a.Note) {
			return invalidf("checklist: %s note: at most 2000 bytes of UTF-8", a.Code)
		}
		answered[a.Code] = true
	}
	var missing []string
	for _, c := range want {
		if !answered[c.Code] {
			missing = append(missing, c.Code)
		}
	}
	if len(missing) > 0 {
		return invalidf("checklist: not answered: %s", strings.Join(missing, ", "))
	}
	if len(r.Findings) > 50 {
		return invalidf("findings: %d, at most 50", len(r.Findings))
	}
	for i, f := range r.Findings {
		if strings.TrimSpace(f.Text) == "" || len(f.Text) > 4000 || !utf8.ValidString(f.Text) {
			return invalidf("findings[%d].text: want 1 to 4000 bytes of UTF-8", i)
		}
		if len(f.Attachments) > 20 {
			return invalidf("findings[%d].attachments: at most 20", i)
		}
	}
	if r.Outcome == OutcomeNoProblem && len(r.Findings) > 0 {
		return invalidf("outcome no_problem with %d findings: choose problems or referral", len(r.Findings))
	}
	if r.Outcome != OutcomeNoProblem && len(r.Findings) == 0 {
		return invalidf("outcome %s needs at least one finding", r.Outcome)
	}
	if r.Minutes < 1 || r.Minutes > 7*24*60 {
		return invalidf("minutes %d: want 1 to %d", r.Minutes, 7*24*60)
	}
	if err := checkDate("inspected_on", r.InspectedOn, false); err != nil {
		return err
	}
	if len(r.Summary) > 4000 || !utf8.ValidString(r.Summary) {
		return invalidf("summary: at most 4000 bytes of UTF-8")
	}
	return nil
}

// PublicResult is what the public results page (一公开) shows of a
// completed random inspection: no officer names, findings or attachments.
type PublicResult struct {
	TaskID         int64  `json:"task_id"`
	DrawID         int64  `json:"draw_id"`
	Period         string `json:"period"`
	CreditCode     string `json:"credit_code"`
	EnterpriseName string `json:"enterprise_name"`
	Region         string `json:"region"`
	InspectedOn    string `json:"inspected_on"`
	Outcome        string `json:"outcome"`
	// FollowUp: "none", "rectification" (a case) or "referral".
	FollowUp string `json:"follow_up"`
}

// Public returns the public view of a done random task; ok is false for
// any other task, which is never published.
func (t Task) Public() (PublicResult, bool) {
	if t.Source != SourceRandom || t.State != TaskDone {
		return PublicResult{}, false
	}
	f := "none"
	switch t.Outcome {
	case OutcomeProblems:
		f = "rectification"
	case OutcomeReferral:
		f = "referral"
	}
	return PublicResult{TaskID: t.ID, DrawID: t.DrawID, Period: t.Period, CreditCode: t.CreditCode, EnterpriseName: t.EnterpriseName,
		Region: t.Region, InspectedOn: t.InspectedOn, Outcome: t.Outcome, FollowUp: f}, true
}

// CityOf is the city code of a region code.
func CityOf(region string) string {
	if len(region) != 6 {
		return region
	}
	return region[:4] + "00"
}

// SourceStat is the findings rate of one task source in one city.
type SourceStat struct {
	City         string  `json:"city"`
	Source       string  `json:"source"`
	Tasks        int     `json:"tasks"`
	Done         int     `json:"done"`
	WithFindings int     `json:"with_findings"`
	FindingsRate float64 `json:"findings_rate"` // WithFindings / Done; 0 when none done
}

// OfficerStat counts one officer's inspections.
type OfficerStat struct {
	Officer string `json:"officer"`
	Tasks   int    `json:"tasks"`
	Done    int    `json:"done"`
	Minutes int    `json:"minutes"`
}

// CoverageStat compares one group's inspections in one draw with its
// ratio: Planned is the ratio's share of the group, Done the completed.
type CoverageStat struct {
	DrawID   int64   `json:"draw_id"`
	Period   string  `json:"period"`
	Region   string  `json:"region"`
	Group    Group   `json:"group"`
	Ratio    float64 `json:"ratio"`
	Size     int     `json:"size"`
	Planned  int     `json:"planned"`
	Done     int     `json:"done"`
	Coverage float64 `json:"coverage"` // Done / Size
}

// DrawSummary is what Statistics needs of a draw.
type DrawSummary struct {
	ID     int64
	Period string
	Region string
	Groups []GroupCount
}

// Stats are the statistics of a set of tasks.
type Stats struct {
	Coverage []CoverageStat `json:"coverage"`
	Sources  []SourceStat   `json:"sources"`
	Officers []OfficerStat  `json:"officers"`
}

// Statistics computes coverage per draw and group, findings rates per
// city and source, and inspections per officer, in a stable order.
func Statistics(draws []DrawSummary, tasks []Task) Stats {
	var st Stats
	doneByDrawGroup := map[string]int{}
	type sk struct{ city, source string }
	src := map[sk]*SourceStat{}
	off := map[string]*OfficerStat{}
	for _, t := range tasks {
		done := t.State == TaskDone
		if done && t.DrawID != 0 {
			doneByDrawGroup[fmt.Sprintf("%d/%s", t.DrawID, t.Group)]++
		}
		k := sk{CityOf(t.Region), t.Source}
		s := src[k]
		if s == nil {
			s = &SourceStat{City: k.city, Source: k.source}
			src[k] = s
		}
		s.Tasks++
		if done {
			s.Done++
			if t.Outcome != OutcomeNoProblem {
				s.WithFindings++
			}
		}
		for _, o := range t.Officers {
			os := off[o]
			if os == nil {
				os = &OfficerStat{Officer: o}
				off[o] = os
			}
			os.Tasks++
			if done {
				os.Done++
				os.Minutes += t.Minutes
			}
		}
	}
	for _, d := range draws {
		for _, g := range d.Groups {
			c := CoverageStat{DrawID: d.ID, Period: d.Period, Region: d.Region, Group: g.Group, Ratio: g.Ratio, Size: g.Size,
				Planned: g.Drawn, Done: doneByDrawGroup[fmt.Sprintf("%d/%s", d.ID, g.Group)]}
			if c.Size > 0 {
				c.Coverage = float64(c.Done) / float64(c.Size)
			}
			st.Coverage = append(st.Coverage, c)
		}
	}
	for _, s := range src {
		if s.Done > 0 {
			s.FindingsRate = float64(s.WithFindings) / float64(s.Done)
		}
		st.Sources = append(st.Sources, *s)
	}
	slices.SortFunc(st.Sources, func(a, b SourceStat) int {
		if c := strings.Compare(a.City, b.City); c != 0 {
			return c
		}
		return strings.Compare(a.Source, b.Source)
	})
	for _, o := range off {
		st.Officers = append(st.Officers, *o)
	}
	slices.SortFunc(st.Officers, func(a, b OfficerStat) int { return strings.Compare(a.Officer, b.Officer) })
	return st
}
