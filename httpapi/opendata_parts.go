package httpapi

import (
	"net/http"

	"ecowatch/casework"
	"ecowatch/opendata"
)

// The rectification cases on an enterprise's public compliance page
// (issue 12 with issue 7's cases): the published sources and states only,
// through the publication policy (opendata.Policy.Case), so no officer's
// text, name or note can reach it.
func init() {
	addOpendataEnterprisePart(opendataPart{name: "cases", read: opendataCasesPart})
}

// opendataCasesMax bounds the cases on one page: the open ones come first
// (earliest deadline), then the most recently closed.
const opendataCasesMax = 100

func opendataCasesPart(a *API, r *http.Request, creditCode string) (any, error) {
	out := []*opendata.Record{}
	if a.cases == nil {
		return out, nil
	}
	cs, _, err := a.cases.repo.Cases(r.Context(), casework.Filter{Enterprise: creditCode, Limit: opendataCasesMax})
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		rec, ok := a.opendata.pol.Case(opendata.CaseInfo{ID: c.ID, Source: string(c.Source), Category: c.Category, Severity: c.Severity,
			Point: c.PointCode, State: string(c.State), Level: int(c.Level), Title: c.Title, Opened: c.Created, Deadline: c.Deadline,
			Closed: c.ClosedAt, Recurrences: c.Recurrences})
		if ok {
			out = append(out, rec)
		}
	}
	return out, nil
}
