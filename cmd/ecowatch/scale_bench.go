package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	njs "github.com/nats-io/nats.go/jetstream"

	"ecowatch/loadgen"
)

// scaleBench is what `ecowatch bench gateway` measures of a scaled
// deployment besides the gateway's answers: the CPU each process (role)
// spent per acknowledged frame, and the bytes the stream holds per frame.
type scaleBench struct {
	pids    string
	natsURL string
	stream  string

	procs  []scaleBenchProc
	stored njs.StreamState
	js     njs.JetStream
	nc     *nats.Conn
}

type scaleBenchProc struct {
	name   string
	pid    int
	before loadgen.ProcSample
}

func (b *scaleBench) flags(fs *flag.FlagSet) {
	fs.StringVar(&b.pids, "pids", "", "processes to measure, name=pid,… (e.g. gateway=12,worker=34,nats=56,postgres=78): CPU per frame of each")
	fs.StringVar(&b.natsURL, "nats", "", "NATS URL of a scaled deployment: report the stream's bytes per frame")
	fs.StringVar(&b.stream, "nats-stream", "ECOWATCH", "the deployment's JetStream stream (with --nats)")
}

// before parses the settings and takes the first samples.
func (b *scaleBench) before(ctx context.Context) error {
	if b.pids != "" {
		for _, kv := range strings.Split(b.pids, ",") {
			name, v, ok := strings.Cut(kv, "=")
			pid, err := strconv.Atoi(v)
			if !ok || name == "" || err != nil || pid <= 0 {
				return fmt.Errorf("bench: --pids %q: want name=pid,…", b.pids)
			}
			s, err := loadgen.ReadProc(pid)
			if err != nil {
				return fmt.Errorf("bench: --pids %s: %w", kv, err)
			}
			b.procs = append(b.procs, scaleBenchProc{name: name, pid: pid, before: s})
		}
	}
	if b.natsURL == "" {
		return nil
	}
	var err error
	if b.nc, err = nats.Connect(b.natsURL); err != nil {
		return fmt.Errorf("bench: --nats: %w", err)
	}
	if b.js, err = njs.New(b.nc); err != nil {
		return err
	}
	b.stored, err = b.state(ctx)
	return err
}

func (b *scaleBench) state(ctx context.Context) (njs.StreamState, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	s, err := b.js.Stream(ctx, b.stream)
	if err != nil {
		return njs.StreamState{}, fmt.Errorf("bench: stream %s: %w", b.stream, err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return njs.StreamState{}, err
	}
	return info.State, nil
}

// report prints each process's CPU per acknowledged frame and the stream's
// bytes per message over the run.
func (b *scaleBench) report(ctx context.Context, w io.Writer, res *loadgen.Result) {
	// Processes of one name (PostgreSQL's backends) are added up.
	type sum struct {
		cpu float64
		rss int64
		n   int
	}
	by := map[string]*sum{}
	var names []string
	var total float64
	for _, p := range b.procs {
		after, err := loadgen.ReadProc(p.pid)
		if err != nil {
			fmt.Fprintf(w, "process       %s (pid %d): %v\n", p.name, p.pid, err)
			continue
		}
		s := by[p.name]
		if s == nil {
			s = &sum{}
			by[p.name] = s
			names = append(names, p.name)
		}
		s.cpu += after.CPUSeconds - p.before.CPUSeconds
		s.rss += after.RSSBytes
		s.n++
		total += after.CPUSeconds - p.before.CPUSeconds
	}
	sort.Strings(names)
	for _, name := range names {
		s := by[name]
		perFrame := 0.0
		if res.Acked > 0 {
			perFrame = 1e6 * s.cpu / float64(res.Acked)
		}
		label := name
		if s.n > 1 {
			label = fmt.Sprintf("%s (%d)", name, s.n)
		}
		fmt.Fprintf(w, "process       %-14s CPU %4.0f%%  %6.1f µs/frame  RSS %5.0f MiB\n", label, 100*s.cpu/res.Elapsed.Seconds(),
			perFrame, float64(s.rss)/(1<<20))
	}
	if len(b.procs) > 1 && res.Acked > 0 {
		fmt.Fprintf(w, "process       %-14s CPU %4.0f%%  %6.1f µs/frame\n", "all", 100*total/res.Elapsed.Seconds(), 1e6*total/float64(res.Acked))
	}
	if b.js == nil {
		return
	}
	defer b.nc.Close()
	after, err := b.state(ctx)
	if err != nil {
		fmt.Fprintf(w, "stream        %v\n", err)
		return
	}
	msgs := after.Msgs - b.stored.Msgs
	if msgs == 0 || after.Bytes < b.stored.Bytes {
		fmt.Fprintln(w, "stream        "+errors.New("no messages stored during the run (or the stream was purged)").Error())
		return
	}
	fmt.Fprintf(w, "stream        %d messages, %.0f bytes per message stored (the frame, its metadata, subject and headers)\n",
		msgs, float64(after.Bytes-b.stored.Bytes)/float64(msgs))
}
