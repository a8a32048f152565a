package cnemc

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"strconv"
	"strings"
)

// SimulatedLabel marks the names of points whose data are simulated.
const SimulatedLabel = "模拟数据 SIMULATED"

// simulatedFactors scale a real city's values for the other cities: a
// rough level per city so the demo's rankings differ, nothing more.
var simulatedFactors = []struct {
	name   string
	factor float64
}{
	{"Zhuzhou", 0.97}, {"Xiangtan", 1.02}, {"Hengyang", 0.92}, {"Shaoyang", 0.82}, {"Yueyang", 0.9},
	{"Changde", 0.88}, {"Zhangjiajie", 0.62}, {"Yiyang", 0.86}, {"Chenzhou", 0.76}, {"Yongzhou", 0.8},
	{"Huaihua", 0.7}, {"Loudi", 0.93}, {"Xiangxi", 0.6},
}

// SimulateOthers derives, for the demo only, city-layout rows of the other
// 13 cities from one real city's file: each value times the city's factor
// and a deterministic day-to-day jitter of ±15 %. Points created from them
// must carry SimulatedLabel (Options.Simulated).
func SimulateOthers(data []byte) ([]byte, error) {
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, err
	}
	p, err := NewParser(header)
	if err != nil {
		return nil, err
	}
	if p.Layout != City {
		return nil, errors.New("cnemc: simulation needs a city-layout file")
	}
	var out bytes.Buffer
	w := csv.NewWriter(&out)
	cols := []string{"PM2.5", "PM10", "SO2", "NO2", "O3", "CO"}
	_ = w.Write(append([]string{"date", "hour", "city"}, cols...))
	idx := make([]int, len(cols))
	for k, c := range cols {
		idx[k] = -1
		for j, h := range header {
			if strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")) == c {
				idx[k] = j
			}
		}
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil || len(rec) != len(header) {
			continue
		}
		date, hour := rec[p.date], rec[p.hour]
		for _, c := range simulatedFactors {
			h := fnv.New32a()
			h.Write([]byte(c.name + date))
			jitter := 0.85 + 0.3*float64(h.Sum32()%1000)/1000
			row := []string{date, hour, c.name}
			for k, j := range idx {
				v := ""
				if j >= 0 {
					if x, err := strconv.ParseFloat(strings.TrimSpace(rec[j]), 64); err == nil && x >= 0 {
						x *= c.factor * jitter
						if cols[k] == "CO" {
							v = strconv.FormatFloat(x, 'f', 2, 64)
						} else {
							v = strconv.FormatFloat(x, 'f', 0, 64)
						}
					}
				}
				row = append(row, v)
			}
			if err := w.Write(row); err != nil {
				return nil, fmt.Errorf("cnemc: simulation: %w", err)
			}
		}
	}
	w.Flush()
	return out.Bytes(), w.Error()
}
