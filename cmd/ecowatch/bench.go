package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"sort"
	"strconv"
	"time"

	"ecowatch/loadgen"
)

// benchCommand measures a running gateway:
//
//	ecowatch bench gateway --addr HOST:PORT --conns N --duration D [--rate R] [--values 10]
func benchCommand() command {
	return command{
		Name:    "bench",
		Summary: "load a running HJ 212 gateway and report frames/s, ack latency, errors, server CPU and RSS",
		Run:     runBench,
	}
}

const benchUsage = `usage: ecowatch bench gateway --addr HOST:PORT --conns N --duration D [flags]

Opens N connections, each sending 2011 uploads with Flag=5 (ack required) and
V values, and prints frames/s sent and acknowledged, ack latency p50/p99/p99.9,
errors by kind, and the server's CPU and RSS when it runs on this machine
(--server-pid, or the process listening on the port). Only loopback addresses
are loaded unless --test-host says the target is the project's own test host.

Flags:
`

func runBench(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || args[0] != "gateway" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprint(e.Stderr, benchUsage)
			return nil
		}
		fmt.Fprint(e.Stderr, benchUsage)
		return errUsage
	}
	fs := flag.NewFlagSet("bench gateway", flag.ContinueOnError)
	fs.SetOutput(e.Stderr)
	fs.Usage = func() { fmt.Fprint(e.Stderr, benchUsage); fs.PrintDefaults() }
	var c loadgen.Config
	fs.StringVar(&c.Addr, "addr", "127.0.0.1"+defaultGatewayAddr, "gateway address host:port")
	fs.IntVar(&c.Conns, "conns", 100, "concurrent connections")
	fs.DurationVar(&c.Duration, "duration", 10*time.Second, "run length (at most 1h)")
	fs.Float64Var(&c.Rate, "rate", 0, "total frames/s offered (0 = as fast as acks come back)")
	fs.IntVar(&c.Values, "values", 10, "values per frame")
	fs.IntVar(&c.Window, "window", 1, "unacknowledged frames in flight per connection; above 1 the frames that fit in the window go out in one write, as a device uploading its backlog sends them")
	fs.BoolVar(&c.Resend, "resend", false, "every frame re-sends the current interval (the store merges; default: each frame a new interval)")
	fs.Int64Var(&c.MaxFrames, "max-frames", 0, "stop after this many frames (0 = no limit)")
	fs.DurationVar(&c.AckTimeout, "ack-timeout", 10*time.Second, "ack wait before a frame counts as timed out")
	fs.StringVar(&c.MNPrefix, "mn-prefix", "BENCH", "MN prefix of the connections")
	fs.StringVar(&c.PW, "password", "123456", "access password (PW)")
	fs.BoolVar(&c.AllowRemote, "test-host", false, "the address is the project's own test host: allow non-loopback")
	serverPID := fs.Int("server-pid", 0, "server process id for CPU and RSS (default: found by the port)")
	var sc scaleBench
	sc.flags(fs)
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.Stderr, "bench gateway: unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	if err := loadgen.CheckAddr(c.Addr, c.AllowRemote); err != nil {
		return err
	}
	if lim, err := raiseFiles(); err != nil {
		return err
	} else if uint64(c.Conns)+64 > lim {
		fmt.Fprintf(e.Stderr, "bench: warning: %d connections need more than the open-file limit %d\n", c.Conns, lim)
	}
	pid := *serverPID
	if pid == 0 {
		if _, port, err := net.SplitHostPort(c.Addr); err == nil {
			if p, err := strconv.Atoi(port); err == nil {
				pid, _ = loadgen.FindListener(p)
			}
		}
	}
	// The tool's own CPU: it shares the machine with the server it
	// measures, so what it costs per frame is half of the picture.
	self, selfErr := loadgen.ReadProc(os.Getpid())
	var before loadgen.ProcSample
	var procErr error
	if pid > 0 {
		before, procErr = loadgen.ReadProc(pid)
	}
	if err := sc.before(ctx); err != nil {
		return err
	}
	res, err := loadgen.Run(ctx, c)
	if err != nil {
		return err
	}
	w := e.Stdout
	data := "each frame a new interval"
	if c.Resend {
		data = "re-sends of the current interval"
	}
	fmt.Fprintf(w, "connections   %d (most open at once %d), %d values per frame, window %d, %s\n", c.Conns, res.Connected, c.Values, c.Window, data)
	fmt.Fprintf(w, "elapsed       %.2f s\n", res.Elapsed.Seconds())
	fmt.Fprintf(w, "sent          %d (%.0f frames/s)\n", res.Sent, res.SentPerSecond())
	fmt.Fprintf(w, "acked         %d (%.0f frames/s, %.0f values/s)\n", res.Acked, res.AckedPerSecond(), res.AckedPerSecond()*float64(c.Values))
	h := res.Latency
	fmt.Fprintf(w, "ack latency   p50 %v  p99 %v  p99.9 %v  max %v\n", h.Quantile(0.5), h.Quantile(0.99), h.Quantile(0.999), h.Max())
	kinds := make([]string, 0, len(res.Errors))
	for k := range res.Errors {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	if len(kinds) == 0 {
		fmt.Fprintln(w, "errors        none")
	}
	for _, k := range kinds {
		fmt.Fprintf(w, "errors        %-16s %d\n", k, res.Errors[k])
	}
	switch {
	case pid == 0:
		fmt.Fprintln(w, "server        not found on this machine (give --server-pid)")
	case procErr != nil:
		fmt.Fprintf(w, "server        pid %d: %v\n", pid, procErr)
	default:
		after, err := loadgen.ReadProc(pid)
		if err != nil {
			fmt.Fprintf(w, "server        pid %d: %v\n", pid, err)
			break
		}
		cpu := (after.CPUSeconds - before.CPUSeconds) / res.Elapsed.Seconds()
		fmt.Fprintf(w, "server        pid %d: CPU %.0f%% (of one core), RSS %.0f MiB, peak RSS %.0f MiB\n",
			pid, 100*cpu, float64(after.RSSBytes)/(1<<20), float64(after.PeakRSS)/(1<<20))
		if res.Acked > 0 {
			fmt.Fprintf(w, "server        %.1f µs CPU per acknowledged frame\n", 1e6*(after.CPUSeconds-before.CPUSeconds)/float64(res.Acked))
		}
	}
	if after, err := loadgen.ReadProc(os.Getpid()); selfErr == nil && err == nil && res.Acked > 0 {
		fmt.Fprintf(w, "load tool     CPU %.0f%% (of one core), %.1f µs CPU per acknowledged frame\n",
			100*(after.CPUSeconds-self.CPUSeconds)/res.Elapsed.Seconds(), 1e6*(after.CPUSeconds-self.CPUSeconds)/float64(res.Acked))
	}
	sc.report(ctx, w, res)
	return nil
}

// raiseFiles lifts the open-file limit to its hard limit: every connection
// is a descriptor.
func raiseFiles() (uint64, error) {
	lim, err := loadgen.RaiseFileLimit()
	if err != nil {
		return 0, fmt.Errorf("raising the open-file limit: %w", err)
	}
	return lim, nil
}
