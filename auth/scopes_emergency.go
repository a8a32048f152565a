package auth

// Token scopes of the emergency and work-plan features (issue 11). They
// are added to Scopes from here, so that features adding scopes never edit
// the same line.
const (
	ScopeEmergencyRead  Scope = "emergency:read"  // risk sources, plans, resources, incidents
	ScopeEmergencyWrite Scope = "emergency:write" // register them, report incidents, record checks
	ScopePlanRead       Scope = "plan:read"       // the work plan's tasks, reports, assessment
	ScopePlanWrite      Scope = "plan:write"      // progress reports, reviews, new plans
)

func init() {
	Scopes = append(Scopes, ScopeEmergencyRead, ScopeEmergencyWrite, ScopePlanRead, ScopePlanWrite)
}
