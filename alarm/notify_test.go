package alarm

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"ecowatch/store/sqlite"
)

// smtpSink is a tiny SMTP server on :0 that accepts every message
// (RFC 5321's minimal command set) and hands its data to msgs.
func smtpSink(t *testing.T) (addr string, msgs chan string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	msgs = make(chan string, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				io.WriteString(c, "220 sink ESMTP\r\n")
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					cmd := strings.ToUpper(strings.TrimSpace(line))
					switch {
					case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
						io.WriteString(c, "250 sink\r\n")
					case cmd == "DATA":
						io.WriteString(c, "354 go ahead\r\n")
						var b strings.Builder
						for {
							l, err := r.ReadString('\n')
							if err != nil {
								return
							}
							if l == ".\r\n" {
								break
							}
							b.WriteString(l)
						}
						msgs <- b.String()
						io.WriteString(c, "250 queued\r\n")
					case cmd == "QUIT":
						io.WriteString(c, "221 bye\r\n")
						return
					default:
						io.WriteString(c, "250 ok\r\n")
					}
				}
			}()
		}
	}()
	return ln.Addr().String(), msgs
}

func TestNotifier(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	repo := NewRepo(st.SQL(), nil)

	// A webhook that fails once, then takes the alarm; and a DingTalk
	// robot that answers errcode 0.
	var mu sync.Mutex
	calls := 0
	var generic map[string]any
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 1 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		json.NewDecoder(r.Body).Decode(&generic)
	}))
	defer hook.Close()
	var ding map[string]any
	robot := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		json.NewDecoder(r.Body).Decode(&ding)
		mu.Unlock()
		io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
	}))
	defer robot.Close()
	if _, err := repo.AddWebhook(ctx, Webhook{Name: "ops", URL: hook.URL + "/hook"}, "admin", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := repo.AddWebhook(ctx, Webhook{Name: "钉钉", URL: robot.URL + "/robot/send?access_token=secret", Format: FormatDingTalk, MinSeverity: High}, "admin", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := repo.AddWebhook(ctx, Webhook{Name: "x", URL: "file:///etc/passwd"}, "admin", ""); err == nil {
		t.Error("a file: URL was accepted")
	}
	addr, mails := smtpSink(t)
	if _, err := repo.AddSubscription(ctx, Subscription{UserID: 1, Rules: []Rule{Exceedance}, MinSeverity: Medium, Email: "duty@example.cn"}, "province", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := repo.AddSubscription(ctx, Subscription{UserID: 2, Rules: []Rule{Offline}, Email: "other@example.cn"}, "city", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := repo.AddSubscription(ctx, Subscription{UserID: 2, Email: "a@b.cn\r\nBcc: x@y.cn"}, "city", ""); err == nil {
		t.Error("a header injection in the e-mail address was accepted")
	}
	n := &Notifier{Repo: repo, SMTP: SMTP{Addr: addr, From: "ecowatch@example.cn"}, Backoff: []time.Duration{10 * time.Millisecond}}
	var wg sync.WaitGroup
	n.Run(ctx, &wg)
	defer func() { cancel(); wg.Wait() }()

	a, _, err := repo.Apply(ctx, Transition{Change: Fire, Rule: Exceedance, Point: "P1", Factor: "a21026", Severity: High, At: t0, Value: 50, Message: "SO2 超标"})
	if err != nil {
		t.Fatal(err)
	}
	n.Notify(ctx, a, Fire)
	select {
	case m := <-mails:
		if !strings.Contains(m, "To: duty@example.cn") || !strings.Contains(m, "SO2 超标") {
			t.Errorf("mail:\n%s", m)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no e-mail")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		ds, total, err := repo.Deliveries(ctx, 50, 0)
		if err != nil {
			t.Fatal(err)
		}
		if total >= 4 {
			got := map[string]int{}
			for _, d := range ds {
				got[d.Channel+":"+d.Status]++
				if strings.Contains(d.Target, "secret") {
					t.Errorf("the robot's token is in the delivery log: %s", d.Target)
				}
			}
			// generic: failed then delivered; robot: delivered; e-mail: delivered.
			if got["webhook:failed"] != 1 || got["webhook:delivered"] != 2 || got["email:delivered"] != 1 {
				t.Errorf("deliveries %v", got)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d deliveries: %+v", total, ds)
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if generic["change"] != "fire" || generic["alarm"].(map[string]any)["rule"] != "exceedance" {
		t.Errorf("generic body %v", generic)
	}
	md, _ := ding["markdown"].(map[string]any)
	if ding["msgtype"] != "markdown" || !strings.Contains(md["text"].(string), "SO2 超标") {
		t.Errorf("DingTalk body %v", ding)
	}
}

func TestWeComBody(t *testing.T) {
	var v struct {
		MsgType  string `json:"msgtype"`
		Markdown struct {
			Content string `json:"content"`
		} `json:"markdown"`
	}
	if err := json.Unmarshal(Body(FormatWeCom, Alarm{ID: 3, Rule: Offline, Point: "P1", Severity: Medium, Message: "silent"}, Resolve), &v); err != nil {
		t.Fatal(err)
	}
	if v.MsgType != "markdown" || !strings.Contains(v.Markdown.Content, "[cleared]") || !strings.Contains(v.Markdown.Content, "silent") {
		t.Errorf("%+v", v)
	}
}
