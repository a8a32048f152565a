// Command ecowatch is the information system of a provincial Department of
// Ecology and Environment: HJ 212 gateway, store, standards engine, alarms,
// cases and the web application, in one binary with subcommands.
//
// Subcommands are dispatched with the standard flag package: each one owns a
// flag.FlagSet, so no dependency is needed and every command's flags are
// testable without a process.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// env is what a subcommand may touch of the process: its streams and
// environment. Tests build one with buffers instead of os.Stdin/Stdout.
type env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
}

// command is one subcommand. Run receives the arguments after its name.
type command struct {
	Name    string
	Summary string
	Run     func(ctx context.Context, e env, args []string) error
}

// errUsage marks an error whose message has already been printed with the
// command's usage; main exits with status 2 without printing it again.
var errUsage = errors.New("usage")

// extraCommands are the commands registered by registerCommand.
var extraCommands []func() command

// registerCommand adds a domain's command (alarm, case, audit, report,
// inspect, …) from an init function in that command's own file, so that
// adding one does not touch this list.
func registerCommand(c func() command) { extraCommands = append(extraCommands, c) }

func commands() []command {
	cs := []command{
		hj212Command(),
		assessCommand(),
		migrateCommand(),
		seedCommand(),
		registryCommand(),
		backupCommand(),
		serveCommand(),
		deviceCommand(),
		simulateCommand(),
		benchCommand(),
		userCommand(),
		versionCommand(),
	}
	for _, c := range extraCommands {
		cs = append(cs, c())
	}
	return cs
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
	os.Exit(run(ctx, e, os.Args[1:]))
}

// run dispatches args to a subcommand and returns the process exit status.
func run(ctx context.Context, e env, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(e.Stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.Name != args[0] {
			continue
		}
		err := c.Run(ctx, e, args[1:])
		switch {
		case err == nil:
			return 0
		case errors.Is(err, errUsage):
			return 2
		default:
			fmt.Fprintf(e.Stderr, "ecowatch %s: %v\n", c.Name, err)
			return 1
		}
	}
	fmt.Fprintf(e.Stderr, "ecowatch: unknown command %q\n\n", args[0])
	usage(e.Stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: ecowatch <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	cs := commands()
	sort.Slice(cs, func(i, j int) bool { return cs[i].Name < cs[j].Name })
	for _, c := range cs {
		fmt.Fprintf(w, "  %-10s %s\n", c.Name, c.Summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'ecowatch <command> -h' for a command's flags.")
}
