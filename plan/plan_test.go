package plan

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"ecowatch/seed"
)

func TestParseHunan2020(t *testing.T) {
	p, err := Parse(Hunan2020)
	if err != nil {
		t.Fatal(err)
	}
	if !p.AllCities {
		t.Error("the plan says every city carries every task; AllCities is false")
	}
	if !strings.Contains(p.Title, "湖南省2020年生态环境保护工作要点") {
		t.Errorf("title %q", p.Title)
	}
	var numbered, safeguards int
	groups := map[int]int{}
	for _, tk := range p.Tasks {
		if tk.Number > 0 {
			numbered++
			groups[tk.GroupNumber]++
		} else {
			safeguards++
		}
		if len(tk.Leads) == 0 {
			t.Errorf("task %s has no lead department", tk.Key)
		}
	}
	if numbered != 29 || safeguards != 4 {
		t.Fatalf("numbered %d safeguards %d, want 29 and 4", numbered, safeguards)
	}
	// Six groups with 3, 4, 7, 5, 6 and 4 tasks (the document's 1–3, 4–7, 8–14, 15–19, 20–25, 26–29).
	want := map[int]int{1: 3, 2: 4, 3: 7, 4: 5, 5: 6, 6: 4}
	for g, n := range want {
		if groups[g] != n {
			t.Errorf("group %d: %d tasks, want %d", g, groups[g], n)
		}
	}
	byKey := map[string]Task{}
	for _, tk := range p.Tasks {
		byKey[tk.Key] = tk
	}
	cases := []struct {
		key    string
		title  string
		leads  []string
		byDuty bool
	}{
		{"1", "加强习近平生态文明思想的学习贯彻", []string{"省委组织部", "省委宣传部"}, false},
		{"5", "健全生态环境经济政策", []string{"省财政厅", "省发展改革委", "省生态环境厅", "省税务局"}, false},
		{"8", "打赢蓝天保卫战", []string{"省生态环境厅", "省交通运输厅", "省公安厅", "省工业和信息化厅", "省住房城乡建设厅", "省农业农村厅"}, true},
		{"15", "持续推进中央环保督察及“回头看”问题整改", []string{"省突出环境问题整改工作领导小组办公室"}, false},
		// 省整改办 is the short name task 15 introduces.
		{"17", "着力推进全国人大水污染防治法执法检查反馈问题整改", []string{"省突出环境问题整改工作领导小组办公室"}, false},
		{"19", "统筹抓好其他突出生态环境问题整改", []string{"省突出环境问题整改工作领导小组办公室"}, false},
		{"20", "开展重点行业生态环境风险隐患大排查", []string{"省生态环境厅", "省应急厅", "省交通运输厅", "省住房城乡建设厅"}, true},
		{"24", "加强生态环境风险应急处置", []string{"省生态环境厅", "省委宣传部"}, false},
		{"29", "大力加强生态环境保护能力建设", []string{"省生态环境厅"}, false},
		{"S1", "加强宣传教育", []string{"省生态环境厅", "省委宣传部", "省发展改革委"}, false},
		// 保障措施（四） names a lead per clause.
		{"S4", "加大资金投入", []string{"省生态环境厅", "省财政厅", "省发展改革委", "省审计厅"}, false},
	}
	for _, c := range cases {
		tk, ok := byKey[c.key]
		if !ok {
			t.Errorf("no task %s", c.key)
			continue
		}
		if tk.Title != c.title || !slices.Equal(tk.Leads, c.leads) || tk.ByDuty != c.byDuty {
			t.Errorf("task %s: %q %v byDuty=%v, want %q %v %v", c.key, tk.Title, tk.Leads, tk.ByDuty, c.title, c.leads, c.byDuty)
		}
	}
	if g := byKey["20"].Group; g != "（五）防范化解重大生态环境风险" {
		t.Errorf("task 20 group %q", g)
	}
	// Every lead is a department the registry seeds, so tasks link to it.
	known := map[string]bool{}
	for _, d := range seed.Departments {
		known[d.Name] = true
	}
	for _, tk := range p.Tasks {
		for _, l := range tk.Leads {
			if !known[l] {
				t.Errorf("task %s: lead %q is not among seed.Departments", tk.Key, l)
			}
		}
	}
}

func TestParseErrors(t *testing.T) {
	for name, doc := range map[string]string{
		"empty":    "",
		"gap":      "三、重点工作\n（一）组\n1.甲。（省生态环境厅牵头）\n3.乙。（省生态环境厅牵头）\n",
		"no group": "三、重点工作\n1.甲。（省生态环境厅牵头）\n",
		"bad lead": "三、重点工作\n（一）组\n1.甲。（市政府牵头）\n",
	} {
		_, err := Parse(doc)
		var pe *ParseError
		if !errors.Is(err, ErrInvalid) || !errors.As(err, &pe) {
			t.Errorf("%s: %v, want a ParseError", name, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(Hunan2020)
	f.Add("三、重点工作\n（一）组\n1.甲。（省生态环境厅牵头，以下简称“省厅”）\n2.乙。（省厅牵头）\n")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		if err != nil {
			return
		}
		for _, tk := range p.Tasks {
			if tk.Key == "" || tk.Text == "" {
				t.Fatalf("task without key or text: %+v", tk)
			}
		}
	})
}

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, cst)
	if err != nil {
		panic(err)
	}
	return t
}

func TestSchedule(t *testing.T) {
	ps := Schedule{Year: 2020}.Periods()
	if len(ps) != 4 || ps[0].Key != "2020Q1" || !ps[0].Due.Equal(at("2020-04-11 00:00")) || !ps[3].Due.Equal(at("2021-01-11 00:00")) {
		t.Fatalf("periods %+v", ps)
	}
	if _, err := (Schedule{Year: 2020}).Period("2020Q5"); !errors.Is(err, ErrInvalid) {
		t.Error("2020Q5 accepted")
	}
	if y, err := ParsePeriodYear("2021Q2"); err != nil || y != 2021 {
		t.Errorf("ParsePeriodYear: %d %v", y, err)
	}
	if _, err := ParsePeriodYear("2021-2"); !errors.Is(err, ErrInvalid) {
		t.Error("2021-2 accepted")
	}
}

func TestStatusOverdueAndAssessment(t *testing.T) {
	s := Schedule{Year: 2020}
	eco := Party{Kind: PartyDepartment, Code: "hn-eco-env", Name: "省生态环境厅"}
	cs := Party{Kind: PartyCity, Code: "430100", Name: "长沙市"}
	as := []Assignment{{1, eco}, {2, eco}, {1, cs}, {2, cs}}
	reports := []Report{
		// eco: task 1 reported on time in Q1 and Q2, done in Q2; task 2 on time Q1 only.
		{TaskID: 1, Party: eco, Period: "2020Q1", Status: OnTrack, Filed: at("2020-04-05 10:00")},
		{TaskID: 1, Party: eco, Period: "2020Q2", Status: Done, Filed: at("2020-07-08 10:00")},
		{TaskID: 2, Party: eco, Period: "2020Q1", Status: OnTrack, Filed: at("2020-04-09 10:00")},
		// cs: task 1 late in Q1; task 2 returned by the supervisor (does not count).
		{TaskID: 1, Party: cs, Period: "2020Q1", Status: OnTrack, Filed: at("2020-04-20 10:00")},
		{TaskID: 2, Party: cs, Period: "2020Q1", Status: OnTrack, Filed: at("2020-04-01 10:00"), Returned: true},
	}
	// Before the first due date nothing is overdue.
	if d := Overdue(s, as, reports, at("2020-04-10 23:59")); len(d) != 0 {
		t.Fatalf("overdue before due: %+v", d)
	}
	now := at("2020-07-15 09:00") // Q1 and Q2 due
	over := Overdue(s, as, reports, now)
	got := map[string]bool{}
	for _, d := range over {
		got[d.Party.Code+"/"+string(rune('0'+d.TaskID))+"/"+d.Period] = true
	}
	want := []string{"hn-eco-env/2/2020Q2", "430100/1/2020Q1", "430100/1/2020Q2", "430100/2/2020Q1", "430100/2/2020Q2"}
	if len(over) != len(want) {
		t.Errorf("overdue %v, want %v", got, want)
	}
	for _, w := range want {
		if !got[w] {
			t.Errorf("missing overdue %s (got %v)", w, got)
		}
	}
	if d := over[0]; d.DaysLate != 4 {
		t.Errorf("days late %d, want 4 (due 07-11 00:00, now 07-15 09:00)", d.DaysLate)
	}
	st := func(a Assignment) Status { return StatusOf(s, a, reports, now) }
	if st(as[0]) != Done || st(as[1]) != Delayed || st(as[2]) != Delayed || st(as[3]) != Delayed {
		t.Errorf("statuses %s %s %s %s", st(as[0]), st(as[1]), st(as[2]), st(as[3]))
	}
	if st := StatusOf(s, as[0], nil, at("2020-03-01 00:00")); st != NotStarted {
		t.Errorf("no report before due: %s", st)
	}
	as2 := Assess(s, as, reports, now)
	if len(as2) != 2 {
		t.Fatalf("assessments %d", len(as2))
	}
	e, c := as2[0], as2[1]
	// eco: due = task1 Q1, Q2 (done in Q2 stops later periods) + task2 Q1, Q2 = 4; on time 3.
	if e.ReportsDue != 4 || e.ReportsOnTime != 3 || e.ReportsMissed != 1 || e.Done != 1 || e.Delayed != 1 {
		t.Errorf("eco %+v", e)
	}
	if e.Timeliness != 75 || e.Progress != 50 || e.Score != 62.5 || e.Grade != "合格" || !slices.Equal(e.Behind, []int64{2}) {
		t.Errorf("eco figures %+v", e)
	}
	if c.ReportsDue != 4 || c.ReportsLate != 1 || c.ReportsMissed != 3 || c.Timeliness != 0 || c.Score != 0 || c.Grade != "不合格" {
		t.Errorf("city %+v", c)
	}
	// A reminder a week before Q3's due date.
	up := Upcoming(s, as, reports, at("2020-10-04 09:00"), 7*24*time.Hour)
	if len(up) != 3 { // eco task 1 is done; eco task 2, cs tasks 1 and 2
		t.Errorf("upcoming %+v", up)
	}
	if up := Upcoming(s, as, reports, at("2020-09-01 09:00"), 7*24*time.Hour); len(up) != 0 {
		t.Errorf("upcoming a month ahead %+v", up)
	}
	if GradeOf(90) != "优秀" || GradeOf(89.9) != "良好" || GradeOf(80) != "良好" || GradeOf(60) != "合格" || GradeOf(59.9) != "不合格" {
		t.Error("grade boundaries")
	}
}
