// Package plan runs a provincial work plan (工作要点) task by task: it parses
// the plan document into tasks with their groups and lead departments,
// schedules progress reports (quarterly), derives each task's status per
// department and city, lists overdue reports and computes the assessment
// (考核) of every department and city. Parsing and the calculations are pure
// (the clock is an argument); the repository (repo.go) keeps plans, tasks,
// reports and links over store.SQL.
//
// Example:
//
//	p, err := plan.Parse(plan.Hunan2020)
//	// len(p.Tasks) == 33: 29 numbered tasks in six groups, 4 safeguards
//	// p.Tasks[0].Leads == []string{"省委组织部", "省委宣传部"}
package plan

import (
	_ "embed"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"ecowatch/store"
)

// Hunan2020 is the text of 湖南省2020年生态环境保护工作要点 (附件5), the plan
// ecowatch ships as default data.
//
//go:embed data/hunan-2020-work-plan.txt
var Hunan2020 string

// ErrInvalid is wrapped by every error about bad input of this package. It
// is the store's ErrInvalid, so the API answers it as a validation error
// (422) like every other.
var ErrInvalid = store.ErrInvalid

// SafeguardGroup is the group name the safeguards (四、保障措施) are filed
// under; their keys are S1, S2, ….
const SafeguardGroup = "四、保障措施"

// Task is one numbered item of the plan, or one of its safeguards.
type Task struct {
	// Key is the item's number ("1" … "29"), or "S1" … for the safeguards.
	Key string
	// Number is the item's number, 0 for a safeguard.
	Number int
	// Group is the heading the item is under, e.g. "（五）防范化解重大生态环境风险".
	Group string
	// GroupNumber counts the groups from 1 (safeguards: 0).
	GroupNumber int
	// Title is the item's first sentence, e.g. "开展重点行业生态环境风险隐患大排查".
	Title string
	// Text is the item as the plan words it, with its parenthesis.
	Text string
	// Leads are the lead departments as the plan names them, short names
	// (以下简称) resolved to the full name, in the plan's order.
	Leads []string
	// ByDuty is true where the plan says 按职责分工负责 (each department
	// for its own part) rather than 牵头.
	ByDuty bool
}

// Plan is a parsed plan document.
type Plan struct {
	Title string
	// AllCities is true when the plan says every task is also carried
	// out by every city government (每项任务都需各市州人民政府落实).
	AllCities bool
	Tasks     []Task
}

// ParseError says which line of the document could not be understood.
type ParseError struct {
	Line   int
	Reason string
}

func (e *ParseError) Error() string { return fmt.Sprintf("plan: line %d: %s", e.Line, e.Reason) }

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *ParseError) Unwrap() error { return ErrInvalid }

var (
	groupRe     = regexp.MustCompile(`^（([一二三四五六七八九十]+)）(.+)$`)
	sectionRe   = regexp.MustCompile(`^([一二三四五六七八九十]+)、(.+)$`)
	itemRe      = regexp.MustCompile(`^(\d{1,3})[.．、](.+)$`)
	parenRe     = regexp.MustCompile(`（([^（）]*?(?:牵头|按职责分工负责)[^（）]*)）`)
	aliasRe     = regexp.MustCompile(`以下简称[“"]([^”"]+)[”"]`)
	leadSplitRe = regexp.MustCompile(`[、,，]`)
)

// Parse reads a plan document: sections headed 一、二、…, groups headed
// （一）（二）… inside 三、重点工作, numbered items "1." … below them, and the
// groups of 四、保障措施 as safeguards. An item's lead departments are the
// ones its parentheses name before 牵头 or 按职责分工负责; a short name the
// plan introduces with 以下简称“…” is resolved to the full name wherever it
// is used later. Items must be numbered 1, 2, 3, … without gaps.
func Parse(text string) (Plan, error) {
	var p Plan
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	section, group, groupNo := "", "", 0
	aliases := map[string]string{}
	var cur *Task
	safeguards := 0
	for i, raw := range lines {
		line := strings.TrimSpace(raw)
		if line == "" {
			continue
		}
		if p.Title == "" && strings.Contains(line, "工作要点") {
			p.Title = line
			continue
		}
		if m := sectionRe.FindStringSubmatch(line); m != nil && len([]rune(line)) < 30 {
			section = m[1]
			group, cur = "", nil
			continue
		}
		if m := groupRe.FindStringSubmatch(line); m != nil {
			if section == "四" {
				// A safeguard is a group heading followed by its text on
				// the same line: （一）加强宣传教育。…
				safeguards++
				t := Task{Key: "S" + strconv.Itoa(safeguards), Group: SafeguardGroup, Text: line}
				t.Title = strings.TrimSuffix(firstSentence(m[2]), "。")
				p.Tasks = append(p.Tasks, t)
				cur = &p.Tasks[len(p.Tasks)-1]
				if err := leadsOf(cur, aliases, i+1); err != nil {
					return p, err
				}
				continue
			}
			if section == "三" {
				groupNo++
				group = line
				cur = nil
				continue
			}
		}
		if m := itemRe.FindStringSubmatch(line); m != nil && section == "三" {
			n, _ := strconv.Atoi(m[1])
			if group == "" {
				return p, &ParseError{i + 1, fmt.Sprintf("item %d is not under a group heading （一）…", n)}
			}
			want := 1
			for _, t := range p.Tasks {
				if t.Number > 0 {
					want++
				}
			}
			if n != want {
				return p, &ParseError{i + 1, fmt.Sprintf("item %d where item %d was expected", n, want)}
			}
			p.Tasks = append(p.Tasks, Task{Key: m[1], Number: n, Group: group, GroupNumber: groupNo,
				Title: strings.TrimSuffix(firstSentence(m[2]), "。"), Text: line})
			cur = &p.Tasks[len(p.Tasks)-1]
			if strings.Contains(line, "每项任务都需各市州人民政府落实") {
				p.AllCities = true
			}
			if err := leadsOf(cur, aliases, i+1); err != nil {
				return p, err
			}
			continue
		}
		if cur != nil && section == "三" {
			// A continuation line of the current item.
			cur.Text += "\n" + line
			if err := leadsOf(cur, aliases, i+1); err != nil {
				return p, err
			}
		}
	}
	if len(p.Tasks) == 0 {
		return p, &ParseError{len(lines), "no numbered tasks found (want items like \"1.…\" under （一） headings in 三、)"}
	}
	return p, nil
}

func firstSentence(s string) string {
	if i := strings.Index(s, "。"); i >= 0 {
		return s[:i+len("。")]
	}
	return s
}

// leadsOf fills t.Leads from every parenthesis of t.Text that names lead
// departments (a safeguard such as （四）加大资金投入 has several, one per
// clause). It records aliases introduced by 以下简称.
func leadsOf(t *Task, aliases map[string]string, line int) error {
	t.Leads, t.ByDuty = nil, false
	for _, m := range parenRe.FindAllStringSubmatch(t.Text, -1) {
		body := m[1]
		cut := strings.Index(body, "牵头")
		if c := strings.Index(body, "按职责分工负责"); c >= 0 && (cut < 0 || c < cut) {
			cut = c
			t.ByDuty = true
		}
		names := body[:cut]
		for _, n := range leadSplitRe.Split(names, -1) {
			n = strings.TrimSpace(n)
			if n == "" {
				continue
			}
			if full, ok := aliases[n]; ok {
				n = full
			}
			if !strings.HasPrefix(n, "省") {
				return &ParseError{line, fmt.Sprintf("task %s: lead %q is not a provincial unit (want 省…)", t.Key, n)}
			}
			if !contains(t.Leads, n) {
				t.Leads = append(t.Leads, n)
			}
		}
		if a := aliasRe.FindStringSubmatch(body); a != nil && len(t.Leads) > 0 {
			aliases[a[1]] = t.Leads[len(t.Leads)-1]
		}
	}
	return nil
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
