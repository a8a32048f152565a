package auth

// Token scopes of the cases feature (issue 7): reading cases, complaints
// and their audit history, and acting on them. Added from this file so
// that features extend the list without editing the shared one.
const (
	ScopeCasesRead  Scope = "cases:read"
	ScopeCasesWrite Scope = "cases:write"
)

func init() { Scopes = append(Scopes, ScopeCasesRead, ScopeCasesWrite) }
