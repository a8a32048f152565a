package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"ecowatch/auth"
	"ecowatch/httpapi"
	"ecowatch/store"
)

const userUsage = `user <action> [NAME] [flags] [--data-dir DIR | --postgres URL]

actions:
  add NAME --role R [--region CODE] [--enterprise CREDIT_CODE] [--display-name TEXT]
                  create an account; the password is read from standard input (one line),
                  or made up and printed with --generate-password
  list            list accounts
  passwd NAME     set a new password (standard input, or --generate-password); signs the account out
  token NAME --scopes s1,s2 [--token-name TEXT] [--expires 720h]
                  make an API token for the account and print it (shown only once)

roles: admin, province, city, enforcement, enterprise, client
scopes: air:read, sources:read, devices:read, devices:write, registry:write, audit:read, admin`

// userCommand manages accounts directly in the store: the way to create
// the first administrator (and the demo accounts) before anyone can sign
// in. Every change is recorded in the audit log with the actor "cli".
func userCommand() command {
	return command{
		Name:    "user",
		Summary: "accounts of the web application: add, list, passwd, token",
		Run:     runUser,
	}
}

func runUser(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "user", userUsage)
	role := fs.String("role", "", "add: the account's role")
	region := fs.String("region", "", "add: GB/T 2260 code of a city or enforcement officer's region")
	enterprise := fs.String("enterprise", "", "add: credit code of an enterprise user's enterprise")
	display := fs.String("display-name", "", "add: name shown in the UI")
	generate := fs.Bool("generate-password", false, "add, passwd: make up a strong password and print it")
	scopes := fs.String("scopes", "", "token: comma-separated scopes")
	tokenName := fs.String("token-name", "", "token: what the token is for (default: cli)")
	expires := fs.Duration("expires", 0, "token: lifetime, e.g. 720h (0: never expires)")
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		addStoreFlags(fs)
		fs.Usage()
		return errUsage
	}
	action, rest := args[0], args[1:]
	var name string
	if action != "list" {
		if len(rest) == 0 || strings.HasPrefix(rest[0], "-") {
			addStoreFlags(fs)
			return usageError(fs, fmt.Errorf("user %s: missing NAME", action))
		}
		name, rest = rest[0], rest[1:]
	}
	sf, err := parseStoreCommand(e, fs, rest)
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError(fs, fmt.Errorf("unexpected arguments %q", fs.Args()))
	}
	st, err := sf.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	acc, ok := st.(store.Accounts)
	if !ok {
		return fmt.Errorf("store %T keeps no accounts", st)
	}
	audit := func(action, object, detail string) error {
		_, err := acc.AppendAudit(ctx, store.AuditEntry{Time: time.Now(), Actor: "cli", Action: action, Object: object, Detail: detail, Remote: "local"})
		return err
	}
	password := func(username string) (string, error) {
		if *generate {
			s, _ := auth.NewSecret()
			// 20 characters of base64url plus a fixed tail of the classes
			// the rules ask for, whatever the random part holds.
			pw := s[:20] + "-A1a"
			fmt.Fprintf(e.Stdout, "password for %s: %s\n", username, pw)
			return pw, nil
		}
		line, err := bufio.NewReader(e.Stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", err
		}
		pw := strings.TrimRight(line, "\r\n")
		if err := auth.CheckPasswordRules(username, pw); err != nil {
			return "", fmt.Errorf("%w (the password is read from standard input, or use --generate-password)", err)
		}
		return pw, nil
	}
	switch action {
	case "add":
		u := store.User{Username: name, DisplayName: *display, Role: *role, Region: *region, Enterprise: *enterprise}
		if err := httpapi.ValidateUser(u); err != nil {
			var ae *httpapi.Error
			if errors.As(err, &ae) {
				for _, f := range ae.Fields {
					fmt.Fprintf(e.Stderr, "%s: %s\n", f.Field, f.Reason)
				}
			}
			return err
		}
		pw, err := password(name)
		if err != nil {
			return err
		}
		u.PasswordHash = auth.HashPassword(pw)
		if _, err := acc.CreateUser(ctx, u); err != nil {
			return err
		}
		fmt.Fprintf(e.Stdout, "added %s (%s)\n", name, *role)
		return audit("user.create", "user:"+name, "role="+u.Role+" region="+u.Region+" enterprise="+u.Enterprise)
	case "list":
		us, err := acc.Users(ctx)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tUSERNAME\tROLE\tREGION\tENTERPRISE\tDISABLED\tNAME")
		for _, u := range us {
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%v\t%s\n", u.ID, u.Username, u.Role, u.Region, u.Enterprise, u.Disabled, u.DisplayName)
		}
		return w.Flush()
	case "passwd":
		u, err := acc.UserByName(ctx, name)
		if err != nil {
			return err
		}
		pw, err := password(name)
		if err != nil {
			return err
		}
		u.PasswordHash = auth.HashPassword(pw)
		if err := acc.UpdateUser(ctx, u); err != nil {
			return err
		}
		if err := acc.DeleteUserSessions(ctx, u.ID); err != nil {
			return err
		}
		fmt.Fprintf(e.Stdout, "password of %s changed\n", name)
		return audit("user.update", "user:"+name, "password_changed=true")
	case "token":
		u, err := acc.UserByName(ctx, name)
		if err != nil {
			return err
		}
		var list []string
		for _, s := range strings.Split(*scopes, ",") {
			if s = strings.TrimSpace(s); s != "" {
				list = append(list, s)
			}
		}
		if _, err := auth.ParseScopes(list); err != nil || len(list) == 0 {
			return usageError(fs, fmt.Errorf("--scopes: want one or more of %v", auth.Scopes))
		}
		if *tokenName == "" {
			*tokenName = "cli"
		}
		secret, hash := auth.NewToken()
		t := store.Token{UserID: u.ID, Name: *tokenName, Hash: hash, Scopes: list, Created: time.Now()}
		if *expires > 0 {
			t.Expires = t.Created.Add(*expires)
		}
		id, err := acc.CreateToken(ctx, t)
		if err != nil {
			return err
		}
		fmt.Fprintln(e.Stdout, secret)
		return audit("token.create", fmt.Sprintf("token:%d", id), fmt.Sprintf("user=%s scopes=%v", name, list))
	}
	return usageError(fs, fmt.Errorf("unknown action %q", action))
}
