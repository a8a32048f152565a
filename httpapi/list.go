package httpapi

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"ecowatch/store"
)

// Paging bounds of the contract: limit defaults to 50, at most 500; an
// export is capped at maxExport rows so one request cannot dump a table
// of millions into memory.
const (
	defaultLimit = 50
	maxLimit     = 500
	maxExport    = 100000
)

// Page is a request's window of a list.
type Page struct {
	Limit, Offset int
}

// ListView is the JSON shape of every list.
type ListView[T any] struct {
	Items  []T `json:"items"`
	Total  int `json:"total"`
	Limit  int `json:"limit"`
	Offset int `json:"offset"`
}

func page(r *http.Request) (Page, error) {
	q := r.URL.Query()
	p := Page{Limit: defaultLimit}
	var fields []FieldError
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			fields = append(fields, FieldError{"limit", fmt.Sprintf("want 1 to %d", maxLimit)})
		}
		p.Limit = n
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			fields = append(fields, FieldError{"offset", "want 0 or more"})
		}
		p.Offset = n
	}
	if f := q.Get("format"); f != "" && f != "json" && f != "csv" && f != "xlsx" {
		fields = append(fields, FieldError{"format", "want json, csv or xlsx"})
	}
	if len(fields) > 0 {
		return p, &Error{Code: CodeInvalid, Message: "bad paging parameters", Fields: fields}
	}
	return p, nil
}

// timeRange reads from and to (RFC 3339, or a date taken in CST) with
// defaults.
func timeRange(r *http.Request, defFrom, defTo time.Time) (from, to time.Time, err error) {
	parse := func(name string, def time.Time) (time.Time, error) {
		v := r.URL.Query().Get(name)
		if v == "" {
			return def, nil
		}
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			return t, nil
		}
		if t, err := time.ParseInLocation(time.DateOnly, v, store.CST); err == nil {
			return t, nil
		}
		return def, &Error{Code: CodeInvalid, Message: fmt.Sprintf("%s %q: want RFC 3339 or YYYY-MM-DD", name, v),
			Fields: []FieldError{{name, "want RFC 3339 time or YYYY-MM-DD"}}}
	}
	if from, err = parse("from", defFrom); err != nil {
		return
	}
	if to, err = parse("to", defTo); err != nil {
		return
	}
	if !from.IsZero() && !to.IsZero() && !from.Before(to) {
		err = &Error{Code: CodeInvalid, Message: "from must be before to", Fields: []FieldError{{"to", "not after from"}}}
	}
	return
}

func exportFormat(r *http.Request) string {
	switch f := r.URL.Query().Get("format"); f {
	case "csv", "xlsx":
		return f
	}
	return ""
}

// writeList pages a complete list (or exports all of it).
func (a *API) writeList(w http.ResponseWriter, r *http.Request, name string, items any) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	v := reflect.ValueOf(items)
	total := v.Len()
	if exportFormat(r) == "" {
		lo := min(pg.Offset, total)
		hi := min(lo+pg.Limit, total)
		v = v.Slice(lo, hi)
	}
	return a.writePage(w, r, name, v.Interface(), total, pg)
}

// writePage writes one page already cut, or the export file.
func (a *API) writePage(w http.ResponseWriter, r *http.Request, name string, items any, total int, pg Page) error {
	v := reflect.ValueOf(items)
	if f := exportFormat(r); f != "" {
		return writeExport(w, f, name, v)
	}
	if v.IsNil() {
		v = reflect.MakeSlice(v.Type(), 0, 0)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": v.Interface(), "total": total, "limit": pg.Limit, "offset": pg.Offset})
	return nil
}

// table turns a slice of structs into a header (the JSON names of the
// fields) and rows of text: nested values as JSON, times RFC 3339, so the
// file holds what the JSON holds.
func table(v reflect.Value) ([]string, [][]string) {
	et := v.Type().Elem()
	var header []string
	var idx []int
	for i := 0; i < et.NumField(); i++ {
		f := et.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		header = append(header, name)
		idx = append(idx, i)
	}
	rows := make([][]string, v.Len())
	for r := range rows {
		row := make([]string, len(idx))
		for c, i := range idx {
			row[c] = cell(v.Index(r).Field(i))
		}
		rows[r] = row
	}
	return header, rows
}

func cell(f reflect.Value) string {
	if f.Kind() == reflect.Pointer {
		if f.IsNil() {
			return ""
		}
		f = f.Elem()
	}
	switch x := f.Interface().(type) {
	case string:
		return x
	case time.Time:
		if x.IsZero() {
			return ""
		}
		return x.Format(time.RFC3339)
	case bool, int, int64, float64:
		return fmt.Sprint(x)
	}
	b, _ := json.Marshal(f.Interface())
	return string(b)
}

// csvSafe defuses spreadsheet formula injection (OWASP "CSV Injection"):
// a cell starting with = + - @ or a control character is prefixed with a
// quote, except numbers, which stay numbers.
func csvSafe(s string) string {
	if s == "" || !strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return s
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return s
	}
	return "'" + s
}

func writeExport(w http.ResponseWriter, format, name string, v reflect.Value) error {
	header, rows := table(v)
	file := name + "." + format
	var buf bytes.Buffer
	switch format {
	case "csv":
		// A UTF-8 byte order mark: Excel on Chinese Windows otherwise
		// opens the file as GBK and garbles every name.
		buf.WriteString("\uFEFF")
		cw := csv.NewWriter(&buf)
		cw.Write(header)
		for _, row := range rows {
			for i := range row {
				row[i] = csvSafe(row[i])
			}
			cw.Write(row)
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	case "xlsx":
		f := excelize.NewFile()
		defer f.Close()
		sw, err := f.NewStreamWriter("Sheet1")
		if err != nil {
			return err
		}
		put := func(r int, vals []string) error {
			cells := make([]any, len(vals))
			for i, s := range vals {
				cells[i] = s
			}
			ref, _ := excelize.CoordinatesToCellName(1, r)
			return sw.SetRow(ref, cells)
		}
		if err := put(1, header); err != nil {
			return err
		}
		for i, row := range rows {
			if err := put(i+2, row); err != nil {
				return err
			}
		}
		if err := sw.Flush(); err != nil {
			return err
		}
		if err := f.Write(&buf); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	}
	w.Header().Set("Content-Disposition", `attachment; filename="`+file+`"`)
	w.WriteHeader(http.StatusOK)
	w.Write(buf.Bytes())
	return nil
}
