package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"ecowatch/auth"
	"ecowatch/store"
	"ecowatch/store/sqlite"
)

func userCLI(t *testing.T, stdin string, args ...string) (string, int) {
	t.Helper()
	var out bytes.Buffer
	code := run(context.Background(), env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }}, args)
	return out.String(), code
}

// TestUserCommand: accounts made with `ecowatch user` are stored with an
// argon2id hash of the password from standard input, validated by role,
// listed, re-passworded, and audited with the actor "cli".
func TestUserCommand(t *testing.T) {
	dir := t.TempDir()
	out, code := userCLI(t, "Xiangjiang-2020\n", "user", "add", "changsha", "--role", "city", "--region", "430100", "--display-name", "长沙市局", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, "added changsha (city)") {
		t.Fatalf("add (%d): %s", code, out)
	}
	for _, c := range []struct {
		stdin string
		args  []string
		want  string
	}{
		{"Xiangjiang-2020\n", []string{"user", "add", "nocity", "--role", "city"}, "region"},         // a city officer needs a region
		{"Xiangjiang-2020\n", []string{"user", "add", "x", "--role", "root"}, "role"},                // unknown role
		{"short\n", []string{"user", "add", "weak", "--role", "province"}, "at least 10"},            // password rules
		{"Xiangjiang-2020\n", []string{"user", "add", "changsha", "--role", "province"}, "conflict"}, // taken
		{"", []string{"user", "token", "changsha", "--scopes", "everything"}, "--scopes"},
	} {
		out, code := userCLI(t, c.stdin, append(c.args, "--data-dir", dir)...)
		if code == 0 || !strings.Contains(out, c.want) {
			t.Errorf("%v: exit %d, output %q, want an error mentioning %q", c.args, code, out, c.want)
		}
	}
	if out, code := userCLI(t, "Dongting-Lake-1\n", "user", "passwd", "changsha", "--data-dir", dir); code != 0 {
		t.Fatalf("passwd (%d): %s", code, out)
	}
	out, code = userCLI(t, "", "user", "list", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, "changsha") || !strings.Contains(out, "430100") || strings.Contains(out, "nocity") {
		t.Fatalf("list (%d): %s", code, out)
	}
	st, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := st.UserByName(context.Background(), "changsha")
	if err != nil || !auth.CheckPassword(u.PasswordHash, "Dongting-Lake-1") || auth.CheckPassword(u.PasswordHash, "Xiangjiang-2020") {
		t.Fatalf("stored account %+v, %v: want the new password's hash", u, err)
	}
	es, _, err := st.Audit(context.Background(), store.AuditQuery{Actor: "cli"})
	if err != nil || len(es) != 2 || es[0].Action != "user.update" || es[1].Action != "user.create" {
		t.Errorf("audit %+v, %v", es, err)
	}
}
