package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"ecowatch/hj212"
	"ecowatch/sim"
)

// simulateCommand runs virtual HJ 212 devices against a gateway:
//
//	ecowatch simulate [--addr HOST:PORT] [--devices N | --devices-csv FILE] [--speed X] …
//	ecowatch simulate --print-registry enterprises|points|devices|limits [--devices N]
func simulateCommand() command {
	return command{
		Name:    "simulate",
		Summary: "run virtual HJ 212 devices (CEMS, wastewater, air and water stations) against a gateway",
		Run:     runSimulate,
	}
}

const simulateUsage = `usage: ecowatch simulate [flags]

Runs virtual data acquisition units over TCP against a gateway. Profiles
cycle through flue-gas CEMS, wastewater outlet, air station and surface-water
station. Each device sends 2011/2051/2061/2031 on its schedule with Flag A=1,
re-sends after 10 s without 9014 (3 times), and answers platform requests.

--print-registry TABLE prints the fleet as a registry import CSV instead
(import enterprises, then points, then devices):
  ecowatch simulate --devices 500 --print-registry enterprises > e.csv
  ecowatch simulate --devices 500 --print-registry points > p.csv
  ecowatch simulate --devices 500 --print-registry devices > d.csv
  ecowatch simulate --devices 500 --print-registry limits > l.csv

--faults takes a comma-separated list applied to the first --faulty devices:
  exceed, offline=DURATION, flat, flag=M|C|D, badcrc=N (every N-th frame),
  split=BYTES, drift=DURATION, legacy (2005 codes and Flag), resend

Flags:
`

func runSimulate(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	fs.SetOutput(e.Stderr)
	fs.Usage = func() { fmt.Fprint(e.Stderr, simulateUsage); fs.PrintDefaults() }
	addr := fs.String("addr", "127.0.0.1"+defaultGatewayAddr, "gateway address host:port")
	n := fs.Int("devices", 4, "number of devices (from --mn-prefix and --password)")
	csvPath := fs.String("devices-csv", "", "CSV of devices (mn,password,kind[,point_code]) instead of --devices")
	prefix := fs.String("mn-prefix", "SIM", "MN prefix; the device number fills it to 14 characters")
	pw := fs.String("password", "123456", "access password (PW) of every device")
	speed := fs.Float64("speed", 1, "virtual seconds per real second")
	startS := fs.String("start", "", "virtual start time YYYYMMDDhhmmss in UTC+8 (default now)")
	seed := fs.Int64("seed", 1, "random seed: the same seed gives the same frames")
	faultS := fs.String("faults", "", "faults to inject (see above)")
	faulty := fs.Int("faulty", 0, "how many of the first devices get --faults (default all when --faults is set)")
	dur := fs.Duration("duration", 0, "stop after this real duration (0 = until interrupted)")
	table := fs.String("print-registry", "", "print a registry import table (enterprises, points, devices, limits) and exit")
	printDevices := fs.Bool("print-devices", false, "print the device list as a --devices-csv file and exit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.Stderr, "simulate: unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	var specs []sim.Spec
	var err error
	if *csvPath != "" {
		f, err := os.Open(*csvPath)
		if err != nil {
			return err
		}
		specs, err = sim.ReadSpecs(f)
		f.Close()
		if err != nil {
			return err
		}
	} else if specs, err = sim.Pattern(*n, *prefix, *pw); err != nil {
		return err
	}
	if *table != "" {
		return sim.WriteRegistry(e.Stdout, specs, *table)
	}
	if *printDevices {
		return sim.WriteSpecs(e.Stdout, specs)
	}
	faults, err := sim.ParseFaults(*faultS)
	if err != nil {
		return err
	}
	if *faultS != "" && *faulty == 0 {
		*faulty = len(specs)
	}
	if *speed <= 0 || *speed > 100000 {
		return fmt.Errorf("simulate: --speed %v out of (0, 100000]", *speed)
	}
	start := time.Now()
	if *startS != "" {
		if start, err = hj212.ParseTime(*startS, hj212.ChinaTime); err != nil {
			return fmt.Errorf("simulate: --start: %w", err)
		}
	}
	if _, err := raiseFiles(); err != nil {
		fmt.Fprintf(e.Stderr, "simulate: %v\n", err)
	}
	clk := sim.NewClock(start, *speed)
	fleet, err := sim.NewFleet(specs, *seed, clk, faults, *faulty)
	if err != nil {
		return err
	}
	if *dur > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *dur)
		defer cancel()
	}
	fmt.Fprintf(e.Stderr, "simulate: %d devices → %s at %gx from %s\n", len(specs), *addr, *speed, start.In(hj212.ChinaTime).Format(time.DateTime))
	done := make(chan struct{})
	go func() { fleet.Run(ctx, *addr); close(done) }()
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	report := func() {
		s, a, r, u, q, c := fleet.Totals()
		fmt.Fprintf(e.Stderr, "simulate: virtual %s sent %d acked %d resent %d unacked %d requests %d connects %d\n",
			clk.Now().In(hj212.ChinaTime).Format(time.DateTime), s, a, r, u, q, c)
	}
	for {
		select {
		case <-done:
			report()
			return nil
		case <-tick.C:
			report()
		}
	}
}
