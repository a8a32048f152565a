package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"ecowatch/store"
)

// AccountStore is a store that also keeps accounts (both backends).
type AccountStore interface {
	store.Store
	store.Accounts
}

// RunAccounts is the conformance suite of store.Accounts. The expected
// values are those the test itself writes; the chain hashes are checked
// against store.AuditHash recomputed here.
func RunAccounts(t *testing.T, open func(t *testing.T) AccountStore) {
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, AccountStore)
	}{
		{"Users", testUsers},
		{"SessionsAndTokens", testSessionsAndTokens},
		{"AuditChain", testAuditChain},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			defer s.Close()
			tc.fn(t, s)
		})
	}
}

func testUsers(t *testing.T, s AccountStore) {
	ctx := context.Background()
	u := store.User{Username: "changsha", DisplayName: "长沙市局", Role: "city", Region: "430100", PasswordHash: "$argon2id$x"}
	id, err := s.CreateUser(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, u); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate username: err = %v, want ErrConflict", err)
	}
	if _, err := s.CreateUser(ctx, store.User{Username: "x", Role: "admin"}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("user without password hash: err = %v, want ErrInvalid", err)
	}
	got, err := s.UserByName(ctx, "changsha")
	if err != nil || got.ID != id || got.Region != "430100" || got.DisplayName != "长沙市局" || got.Role != "city" {
		t.Fatalf("UserByName = %+v, %v", got, err)
	}
	got.Disabled = true
	got.Enterprise = "91430100MA4L0000X1"
	if err := s.UpdateUser(ctx, got); err != nil {
		t.Fatal(err)
	}
	again, err := s.User(ctx, id)
	if err != nil || !again.Disabled || again.Enterprise != got.Enterprise {
		t.Fatalf("after update: %+v, %v", again, err)
	}
	if err := s.UpdateUser(ctx, store.User{ID: id + 100, Username: "y", Role: "admin", PasswordHash: "h"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("update of a missing user: err = %v, want ErrNotFound", err)
	}
	us, err := s.Users(ctx)
	if err != nil || len(us) != 1 {
		t.Fatalf("Users = %+v, %v", us, err)
	}
	if err := s.DeleteUser(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := s.User(ctx, id); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted user: err = %v, want ErrNotFound", err)
	}
	if err := s.DeleteUser(ctx, id); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second delete: err = %v, want ErrNotFound", err)
	}
}

func testSessionsAndTokens(t *testing.T, s AccountStore) {
	ctx := context.Background()
	id, err := s.CreateUser(ctx, store.User{Username: "admin", Role: "admin", PasswordHash: "h"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2020, 6, 1, 9, 0, 0, 0, store.CST)
	if err := s.CreateSession(ctx, store.Session{IDHash: "s1", UserID: id, CSRF: "c1", Created: now, Expires: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	ss, err := s.Session(ctx, "s1", now.Add(30*time.Minute))
	if err != nil || ss.UserID != id || ss.CSRF != "c1" || !ss.Expires.Equal(now.Add(time.Hour)) {
		t.Fatalf("Session = %+v, %v", ss, err)
	}
	if _, err := s.Session(ctx, "s1", now.Add(time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("expired session: err = %v, want ErrNotFound", err)
	}
	tid, err := s.CreateToken(ctx, store.Token{UserID: id, Name: "环保厅数据共享", Hash: "th", Scopes: []string{"air:read", "sources:read"}, Expires: now.Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateToken(ctx, store.Token{UserID: id, Name: "x", Hash: "t2", Scopes: []string{"a b"}}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("scope with a space: err = %v, want ErrInvalid", err)
	}
	tok, err := s.TokenByHash(ctx, "th")
	if err != nil || tok.ID != tid || len(tok.Scopes) != 2 || tok.Scopes[1] != "sources:read" || !tok.Expires.Equal(now.Add(24*time.Hour)) {
		t.Fatalf("TokenByHash = %+v, %v", tok, err)
	}
	if ts, err := s.Tokens(ctx, id); err != nil || len(ts) != 1 {
		t.Fatalf("Tokens = %+v, %v", ts, err)
	}
	// Deleting the user takes its sessions and tokens with it.
	if err := s.DeleteUser(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TokenByHash(ctx, "th"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("token of a deleted user: err = %v, want ErrNotFound", err)
	}
	if _, err := s.Session(ctx, "s1", now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("session of a deleted user: err = %v, want ErrNotFound", err)
	}
}

func testAuditChain(t *testing.T, s AccountStore) {
	ctx := context.Background()
	var wg sync.WaitGroup
	const n = 20
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.AppendAudit(ctx, store.AuditEntry{Actor: "admin", Action: "user.create", Object: "user:x", Remote: "127.0.0.1"}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if _, err := s.AppendAudit(ctx, store.AuditEntry{Actor: "eve", Action: "session.fail", Time: time.Now()}); err != nil {
		t.Fatal(err)
	}
	es, total, err := s.Audit(ctx, store.AuditQuery{Limit: 100})
	if err != nil || total != n+1 || len(es) != n+1 {
		t.Fatalf("Audit: %d entries, total %d, %v", len(es), total, err)
	}
	// Newest first; each entry chains to the one before it, even though
	// they were appended concurrently.
	for i := len(es) - 1; i >= 0; i-- {
		prev := ""
		if i < len(es)-1 {
			prev = es[i+1].Hash
		}
		if es[i].PrevHash != prev || es[i].Hash != store.AuditHash(prev, es[i]) {
			t.Fatalf("entry %d breaks the chain: %+v", es[i].ID, es[i])
		}
	}
	fails, total, err := s.Audit(ctx, store.AuditQuery{Action: "session.fail"})
	if err != nil || total != 1 || fails[0].Actor != "eve" {
		t.Fatalf("Audit(action) = %+v, %d, %v", fails, total, err)
	}
}
