package auth

// Token scopes of random inspections (issue 10), kept in their own file so
// that the feature adds them without editing the list in auth.go.
const (
	ScopeInspectRead  Scope = "inspections:read"  // pools, draws, tasks, leads, statistics
	ScopeInspectWrite Scope = "inspections:write" // officers, draws, tasks, inspection records
)

func init() { Scopes = append(Scopes, ScopeInspectRead, ScopeInspectWrite) }
