package httpapi

import (
	"context"
	"time"
)

// CaseOpener opens a rectification case (整改) from another domain's
// object: an alarm, a complaint, an inspection finding, a hazard found in
// a hazard check. The cases feature provides it (Config.Cases); the other
// features call it for their "make this a case" action, so that every
// case, whatever its source, follows one workflow to closure (销号).
type CaseOpener interface {
	// OpenCase registers a new case, or returns the open case already
	// registered for the same SourceRef (one action, clicked twice, opens
	// one case). A closed case for the same SourceRef is reopened and
	// linked (a recurrence, 防止反弹).
	OpenCase(ctx context.Context, r CaseRequest) (caseID int64, err error)
}

// CaseRequest is what a case is opened with.
type CaseRequest struct {
	// Source is where the problem came from: "alarm", "complaint",
	// "inspection", "hazard", or a manual source such as
	// "central-inspection".
	Source string
	// SourceRef names the object, e.g. "alarm:42", "complaint:7".
	SourceRef   string
	Title       string
	Description string
	// Category: air, water, soil, solid-waste, ecology, noise, radiation.
	Category string
	// Severity: low, medium, high, critical.
	Severity       string
	RegionCode     string
	EnterpriseCode string // credit code, "" when none
	PointCode      string // "" when none
	Deadline       time.Time
	// Actor and Remote are who asked, for the audit log.
	Actor  string
	Remote string
}
