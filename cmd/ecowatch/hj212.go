package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"ecowatch/hj212"
)

// hj212Command reads and writes HJ 212 frames on stdin/stdout:
//
//	ecowatch hj212 decode [--lines] [--tolerant | --quirks LIST]   frames → one JSON object per line
//	ecowatch hj212 encode                                           JSON objects → frames
//	ecowatch hj212 reply  [--lines] [--tolerant | --quirks LIST]   frames → the replies the platform owes
func hj212Command() command {
	return command{
		Name:    "hj212",
		Summary: "decode, encode and answer HJ 212 frames (stdin → stdout)",
		Run:     runHJ212,
	}
}

const hj212Usage = `usage: ecowatch hj212 decode [--lines] [--tolerant | --quirks LIST] < frames
       ecowatch hj212 encode < json-lines
       ecowatch hj212 reply  [--lines] [--tolerant | --quirks LIST] < frames

decode  reads a byte stream of frames (raw TCP bytes, or with --lines a log
        of one frame per line, where a line break stands for the frame's CRLF
        and text around the frame such as a timestamp is ignored) and prints
        one JSON object per frame:
          {"ok":true,"version":"2017","qn":…,"st":…,"cn":…,"pw":…,"mn":…,
           "flag":5,"ack":true,"split":false,"cp":{"DataTime":…},
           "values":{"a21026":{"Rtd":"12.3","Flag":"N"}},"diagnostics":[]}
        or, for a bad frame or bytes outside frames,
          {"ok":false,"error":WORD,"offset":N,"detail":…}
        WORD is one of: %s.
encode  reads those JSON objects and prints each frame with its length and CRC.
reply   prints the reply (9014, 9013) the platform owes each frame, if any.

Strict mode is HJ 212-2017 as written. --tolerant accepts every known quirk;
--quirks accepts only those listed (comma-separated): %s.
`

func runHJ212(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintf(e.Stderr, hj212Usage, strings.Join(hj212.ErrorCodes(), ", "), hj212.AllQuirks)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	sub, rest := args[0], args[1:]
	fs := flag.NewFlagSet("hj212 "+sub, flag.ContinueOnError)
	fs.SetOutput(e.Stderr)
	var tolerant, lines *bool
	var quirks *string
	if sub == "decode" || sub == "reply" {
		tolerant = fs.Bool("tolerant", false, "accept every known device quirk, with a diagnostic for each")
		quirks = fs.String("quirks", "", "accept only these quirks (comma-separated names)")
		lines = fs.Bool("lines", false, "input is a log with one frame per line: the line break stands for the frame's CRLF and other text on the line is ignored")
	}
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.Stderr, "hj212 %s: unexpected argument %q\n", sub, fs.Arg(0))
		return errUsage
	}
	mode := hj212.Strict
	if tolerant != nil {
		if *tolerant {
			mode = hj212.Tolerant
		}
		if *quirks != "" {
			q, ok := hj212.ParseQuirks(*quirks)
			if !ok {
				fmt.Fprintf(e.Stderr, "hj212 %s: unknown quirk in %q; known: %s\n", sub, *quirks, hj212.AllQuirks)
				return errUsage
			}
			mode.Allow |= q
		}
	}
	out := bufio.NewWriter(e.Stdout)
	defer out.Flush()
	switch sub {
	case "decode":
		return hj212Decode(ctx, e.Stdin, out, mode, *lines)
	case "encode":
		return hj212Encode(ctx, e.Stdin, out)
	case "reply":
		return hj212Reply(ctx, e.Stdin, out, mode, *lines)
	}
	fmt.Fprintf(e.Stderr, "hj212: unknown subcommand %q\n", sub)
	return errUsage
}

// kv is one member of a JSON object whose order matters: the CP keys and
// factors are printed in the order the frame carried them, so that encode
// rebuilds the same bytes.
type kv struct {
	Key   string
	Value json.RawMessage
}

type orderedObject []kv

func (o orderedObject) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(m.Key)
		b.Write(k)
		b.WriteByte(':')
		b.Write(m.Value)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func (o *orderedObject) UnmarshalJSON(data []byte) error {
	d := json.NewDecoder(bytes.NewReader(data))
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return fmt.Errorf("expected an object")
	}
	*o = (*o)[:0]
	for d.More() {
		t, err := d.Token()
		if err != nil {
			return err
		}
		var v json.RawMessage
		if err := d.Decode(&v); err != nil {
			return err
		}
		*o = append(*o, kv{t.(string), v})
	}
	return nil
}

// set replaces key's value, or appends it.
func (o *orderedObject) set(key string, v json.RawMessage) {
	for i := range *o {
		if (*o)[i].Key == key {
			(*o)[i].Value = v
			return
		}
	}
	*o = append(*o, kv{key, v})
}

type diagJSON struct {
	Quirk  string `json:"quirk"`
	Offset int    `json:"offset"`
	Detail string `json:"detail"`
}

// frameJSON is one line of `hj212 decode` output and `hj212 encode` input.
type frameJSON struct {
	OK          bool                     `json:"ok"`
	Error       string                   `json:"error,omitempty"`
	Offset      *int                     `json:"offset,omitempty"`
	Detail      string                   `json:"detail,omitempty"`
	Quirk       string                   `json:"quirk,omitempty"`
	Version     string                   `json:"version,omitempty"`
	QN          string                   `json:"qn,omitempty"`
	ST          string                   `json:"st,omitempty"`
	CN          string                   `json:"cn,omitempty"`
	PW          string                   `json:"pw,omitempty"`
	MN          string                   `json:"mn,omitempty"`
	Flag        *int                     `json:"flag,omitempty"`
	Ack         *bool                    `json:"ack,omitempty"`
	Split       *bool                    `json:"split,omitempty"`
	PNUM        int                      `json:"pnum,omitempty"`
	PNO         int                      `json:"pno,omitempty"`
	CP          orderedObject            `json:"cp,omitempty"`
	Values      map[string]orderedObject `json:"-"`
	ValuesOrder []string                 `json:"-"`
	Diagnostics *[]diagJSON              `json:"diagnostics,omitempty"`
}

func quoted(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}

func toJSON(f *hj212.Frame) frameJSON {
	j := frameJSON{OK: true, Version: f.Version().String(), QN: f.QN, ST: f.ST, CN: f.CN, PW: f.PW, MN: f.MN,
		PNUM: f.PNUM, PNO: f.PNO, Values: map[string]orderedObject{}}
	if f.HasFlag {
		flag, ack, split := int(f.Flag), f.Flag.Ack(), f.Flag.Split()
		j.Flag, j.Ack, j.Split = &flag, &ack, &split
	}
	for _, fl := range f.CP {
		code := fl.Code()
		if code == "" {
			j.CP.set(fl.Name, quoted(fl.Value))
			continue
		}
		o, seen := j.Values[code]
		if !seen {
			j.ValuesOrder = append(j.ValuesOrder, code)
		}
		o.set(fl.Suffix(), quoted(fl.Value))
		j.Values[code] = o
	}
	d := make([]diagJSON, 0, len(f.Diagnostics))
	for _, x := range f.Diagnostics {
		d = append(d, diagJSON{x.Quirk.String(), x.Offset, x.Detail})
	}
	j.Diagnostics = &d
	return j
}

func errorJSON(err error) frameJSON {
	j := frameJSON{Error: "internal", Detail: err.Error()}
	var pe *hj212.ParseError
	if errors.As(err, &pe) {
		off := pe.Offset
		j.Error, j.Offset, j.Detail = pe.Code, &off, err.Error()
		if pe.Quirk != 0 {
			j.Quirk = pe.Quirk.String()
		}
	}
	return j
}

// MarshalJSON writes the struct's members, then "values" in frame order
// (encoding/json would sort a map), then "diagnostics".
func (j frameJSON) MarshalJSON() ([]byte, error) {
	type plain frameJSON
	p := plain(j)
	p.Diagnostics = nil
	head, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	b := bytes.NewBuffer(head[:len(head)-1])
	if j.OK && len(j.ValuesOrder) > 0 {
		vals := make(orderedObject, 0, len(j.ValuesOrder))
		for _, code := range j.ValuesOrder {
			v, _ := j.Values[code].MarshalJSON()
			vals = append(vals, kv{code, v})
		}
		v, _ := vals.MarshalJSON()
		b.WriteString(`,"values":`)
		b.Write(v)
	}
	if j.Diagnostics != nil {
		d, _ := json.Marshal(*j.Diagnostics)
		b.WriteString(`,"diagnostics":`)
		b.Write(d)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads the members and keeps "values" in input order.
func (j *frameJSON) UnmarshalJSON(data []byte) error {
	type plain frameJSON
	var p plain
	if err := json.Unmarshal(data, &p); err != nil {
		return err
	}
	*j = frameJSON(p)
	var all orderedObject
	if err := all.UnmarshalJSON(data); err != nil {
		return err
	}
	j.Values = map[string]orderedObject{}
	for _, m := range all {
		if m.Key != "values" {
			continue
		}
		var vals orderedObject
		if err := vals.UnmarshalJSON(m.Value); err != nil {
			return fmt.Errorf("values: %v", err)
		}
		for _, v := range vals {
			var fields orderedObject
			if err := fields.UnmarshalJSON(v.Value); err != nil {
				return fmt.Errorf("values.%s: %v", v.Key, err)
			}
			j.Values[v.Key] = fields
			j.ValuesOrder = append(j.ValuesOrder, v.Key)
		}
	}
	return nil
}

// toFrame builds a Frame: each CP key its own item, then each factor's
// fields as ','-separated siblings of one item, as Appendix C writes them.
func (j frameJSON) toFrame() (*hj212.Frame, error) {
	f := &hj212.Frame{QN: j.QN, ST: j.ST, CN: j.CN, PW: j.PW, MN: j.MN, PNUM: j.PNUM, PNO: j.PNO}
	if j.Flag != nil {
		if *j.Flag < 0 || *j.Flag > 255 {
			return nil, fmt.Errorf("flag %d outside 0-255", *j.Flag)
		}
		f.Flag, f.HasFlag = hj212.Flag(*j.Flag), true
	}
	item := 0
	str := func(where string, raw json.RawMessage) (string, error) {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", fmt.Errorf("%s: values are exact strings, got %s", where, raw)
		}
		return s, nil
	}
	for _, m := range j.CP {
		v, err := str("cp."+m.Key, m.Value)
		if err != nil {
			return nil, err
		}
		f.CP = append(f.CP, hj212.Field{Name: m.Key, Value: v, Item: item})
		item++
	}
	for _, code := range j.ValuesOrder {
		for _, m := range j.Values[code] {
			v, err := str("values."+code+"."+m.Key, m.Value)
			if err != nil {
				return nil, err
			}
			f.CP = append(f.CP, hj212.Field{Name: code + "-" + m.Key, Value: v, Item: item})
		}
		item++
	}
	return f, nil
}

func writeJSONLine(w io.Writer, j frameJSON) error {
	b, err := json.Marshal(j)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	_, err = w.Write(b)
	return err
}

// eachFrame scans r and calls fn with each frame's decode result or the
// framing error of the bytes between frames. With lines, each input line
// is scanned on its own and a frame that ends the line gets the CRLF the
// line break stood for.
func eachFrame(ctx context.Context, r io.Reader, mode hj212.Mode, lines bool, fn func(*hj212.Frame, error) error) error {
	if !lines {
		return scanFrames(ctx, r, mode, false, fn)
	}
	ls := bufio.NewScanner(r)
	ls.Buffer(make([]byte, 64<<10), hj212.DefaultMaxFrame+64<<10)
	for ls.Scan() {
		line := bytes.TrimRight(ls.Bytes(), "\r\n")
		if err := scanFrames(ctx, bytes.NewReader(line), mode, true, fn); err != nil {
			return err
		}
	}
	return ls.Err()
}

func scanFrames(ctx context.Context, r io.Reader, mode hj212.Mode, addCRLF bool, fn func(*hj212.Frame, error) error) error {
	sc := hj212.NewScanner(r)
	var buf []byte
	for sc.Scan() {
		if err := ctx.Err(); err != nil {
			return err
		}
		var f *hj212.Frame
		err := sc.FramingErr()
		// A line is whole: a frame it ends is complete even if its
		// length field promised more, and Decode says so precisely.
		if addCRLF && errors.Is(err, hj212.ErrTruncated) {
			err = nil
		}
		// In a log, text around the frames (timestamps, "RX:") is the
		// log's, not the device's: skip it.
		if addCRLF && errors.Is(err, hj212.ErrGarbage) {
			continue
		}
		if err == nil {
			raw := sc.Bytes()
			if addCRLF && !bytes.HasSuffix(raw, []byte("\n")) {
				buf = append(append(buf[:0], raw...), '\r', '\n')
				raw = buf
			}
			f, err = hj212.Decode(raw, mode)
		}
		if err := fn(f, err); err != nil {
			return err
		}
	}
	return sc.Err()
}

func hj212Decode(ctx context.Context, r io.Reader, w io.Writer, mode hj212.Mode, lines bool) error {
	return eachFrame(ctx, r, mode, lines, func(f *hj212.Frame, err error) error {
		if err != nil {
			return writeJSONLine(w, errorJSON(err))
		}
		return writeJSONLine(w, toJSON(f))
	})
}

func hj212Reply(ctx context.Context, r io.Reader, w io.Writer, mode hj212.Mode, lines bool) error {
	return eachFrame(ctx, r, mode, lines, func(f *hj212.Frame, err error) error {
		if err != nil {
			return nil // a bad frame is dropped, never answered (Table 2)
		}
		reply, ok := hj212.ReplyFor(f)
		if !ok {
			return nil
		}
		b, err := hj212.Encode(reply)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	})
}

func hj212Encode(ctx context.Context, r io.Reader, w io.Writer) error {
	d := json.NewDecoder(r)
	for n := 1; ; n++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		var j frameJSON
		if err := d.Decode(&j); err == io.EOF {
			return nil
		} else if err != nil {
			return fmt.Errorf("input object %d: %v", n, err)
		}
		if !j.OK {
			continue // a bad frame's error report has nothing to encode
		}
		f, err := j.toFrame()
		if err != nil {
			return fmt.Errorf("input object %d: %v", n, err)
		}
		b, err := hj212.Encode(f)
		if err != nil {
			return fmt.Errorf("input object %d: %v", n, err)
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
}
