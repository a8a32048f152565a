package opendata

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// WriteCSV writes records as CSV with the given columns (Policy.Columns):
// RFC 4180, UTF-8 without a byte order mark (research tools read it as
// is), empty cells for absent values, lists joined by "|". The API's CSV
// and the bulk files both come from here, so they agree byte for byte.
func WriteCSV(w io.Writer, columns []string, recs []*Record) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(columns); err != nil {
		return err
	}
	row := make([]string, len(columns))
	for _, rec := range recs {
		for i, c := range columns {
			v, _ := rec.Get(c)
			row[i] = Cell(v)
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// Cell is a value's CSV text.
func Cell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return csvSafe(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int:
		return strconv.Itoa(x)
	case bool:
		return strconv.FormatBool(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case *int:
		if x == nil {
			return ""
		}
		return strconv.Itoa(*x)
	case []string:
		return csvSafe(strings.Join(x, "|"))
	}
	// Maps and other structured values: their JSON, so the cell holds what
	// the JSON response holds.
	b, err := json.Marshal(v)
	if err != nil {
		return csvSafe(fmt.Sprint(v))
	}
	return csvSafe(string(b))
}

// csvSafe defuses spreadsheet formula injection (OWASP "CSV Injection"):
// text starting with = + - @ or a tab or CR gets a leading quote, numbers
// stay numbers. Names and addresses come from registry imports, which an
// enterprise may have typed.
func csvSafe(s string) string {
	if s == "" || !strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return s
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return s
	}
	return "'" + s
}
