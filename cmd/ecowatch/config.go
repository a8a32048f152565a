package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strings"
)

// Settings come from three places with the same names: a flag --data-dir,
// an environment variable ECOWATCH_DATA_DIR and a line "data-dir = DIR" in a
// config file (--config FILE or ECOWATCH_CONFIG). A flag given on the
// command line wins over the environment, which wins over the file, which
// wins over the flag's default. One name everywhere means an operator never
// has to look up a second spelling.

// envName is the environment variable for a setting name.
func envName(name string) string {
	return "ECOWATCH_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// parseSettings parses args into fs, then fills every flag not given on the
// command line from the environment and the config file. fs must not define
// "config" itself; parseSettings adds it.
func parseSettings(fs *flag.FlagSet, args []string, getenv func(string) string) error {
	configPath := fs.String("config", "", "read settings from this file (lines of name = value; also "+envName("config")+")")
	if err := fs.Parse(args); err != nil {
		return err
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })

	path := *configPath
	if path == "" {
		path = getenv(envName("config"))
	}
	var file map[string]string
	if path != "" {
		var err error
		if file, err = readConfigFile(path, fs); err != nil {
			return err
		}
	}
	var firstErr error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || f.Name == "config" || firstErr != nil {
			return
		}
		if v := getenv(envName(f.Name)); v != "" {
			if err := f.Value.Set(v); err != nil {
				firstErr = fmt.Errorf("environment %s=%q: %v", envName(f.Name), v, err)
			}
			return
		}
		if v, ok := file[f.Name]; ok {
			if err := f.Value.Set(v); err != nil {
				firstErr = fmt.Errorf("%s: %s = %q: %v", path, f.Name, v, err)
			}
		}
	})
	return firstErr
}

// readConfigFile reads "name = value" lines; blank lines and lines starting
// with # are ignored. An unknown name is an error, so a typo does not pass
// silently.
func readConfigFile(path string, fs *flag.FlagSet) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("%s:%d: want name = value, got %q", path, n, line)
		}
		name = strings.TrimSpace(name)
		value = strings.Trim(strings.TrimSpace(value), `"`)
		if fs.Lookup(name) == nil || name == "config" {
			return nil, fmt.Errorf("%s:%d: unknown setting %q", path, n, name)
		}
		out[name] = value
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}
