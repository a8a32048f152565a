package cnemc

import (
	"strings"
	"testing"
	"time"

	"ecowatch/assess/aqi"
)

const (
	cityHeader = "date,hour,city,AQI,PM2.5,PM2.5_24h,PM10,PM10_24h,SO2,SO2_24h,NO2,NO2_24h,O3,O3_24h,O3_8h,O3_8h_24h,CO,CO_24h"
	wideHeader = "date,hour,type,1335A,1336A,9999A"
	longHeader = "timepoint,stationcode,positionname,aqi,pm10,pm10_24h,pm2_5,pm2_5_24h,so2,so2_24h,no2,no2_24h,o3,o3_24h,o3_8h,o3_8h_24h,co,co_24h,primarypollutant,quality"
)

func parser(t testing.TB, h string) *Parser {
	p, err := NewParser(strings.Split(h, ","))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLayouts(t *testing.T) {
	at := time.Date(2020, 1, 2, 13, 0, 0, 0, aqi.UTC8())
	p := parser(t, cityHeader)
	cells, err := p.Row(strings.Split("20200102,13,Changsha,80,59,60,70,71,6,7,40,41,30,31,20,21,0.9,1.0", ","))
	if p.Layout != City || err != nil || len(cells) != 6 {
		t.Fatalf("city: %v %v %v", p.Layout, cells, err)
	}
	for _, c := range cells {
		if c.Point != "city-430100" || !c.Time.Equal(at) {
			t.Errorf("city cell %+v", c)
		}
		if c.Pollutant == aqi.PM25 && c.Value != 59 || c.Pollutant == aqi.CO && c.Value != 0.9 {
			t.Errorf("1-hour column not taken: %+v", c)
		}
	}
	p = parser(t, wideHeader)
	cells, err = p.Row(strings.Split("20200102,13,PM2.5,35,,NA", ","))
	if p.Layout != Wide || err != nil || len(cells) != 1 || cells[0].Point != "1335A" || cells[0].Pollutant != aqi.PM25 || !cells[0].Time.Equal(at) {
		t.Fatalf("wide: %v %+v %v", p.Layout, cells, err)
	}
	if _, err := p.Row(strings.Split("20200102,13,PM2.5_24h,35,36,37", ",")); err != ErrSkip {
		t.Errorf("derived type: %v, want ErrSkip", err)
	}
	p = parser(t, longHeader)
	cells, err = p.Row(strings.Split("2020-01-02 13:00:00,1335A,经开区环保局,80,70,71,59,60,6,7,40,41,30,31,20,21,0.9,1.0,PM2.5,良", ","))
	if p.Layout != Long || err != nil || len(cells) != 6 || cells[0].Point != "1335A" || !cells[0].Time.Equal(at) {
		t.Fatalf("long: %v %+v %v", p.Layout, cells, err)
	}
}

func TestMalformedRows(t *testing.T) {
	for _, tc := range []struct{ header, row, want string }{
		{cityHeader, "20200102,13,Changsha,80,59", "row has 5 fields"},
		{cityHeader, "2020-13-40,13,Changsha,80,59,60,70,71,6,7,40,41,30,31,20,21,0.9,1.0", "date"},
		{cityHeader, "20200102,24,Changsha,80,59,60,70,71,6,7,40,41,30,31,20,21,0.9,1.0", "hour"},
		{cityHeader, "20200102,13,Beijing,80,59,60,70,71,6,7,40,41,30,31,20,21,0.9,1.0", "not one of Hunan's 14 cities"},
		{cityHeader, "20200102,13,Changsha,80,abc,60,70,71,6,7,40,41,30,31,20,21,0.9,1.0", "PM2.5: \"abc\" is not a decimal"},
		{cityHeader, "20200102,13,Changsha,80,-5,60,70,71,6,7,40,41,30,31,20,21,0.9,1.0", "negative"},
		{wideHeader, "20200102,13,XYZ,1,2,3", "type \"XYZ\""},
		{wideHeader, "20200102,13,SO2,1,x,3", "station 1336A"},
		{wideHeader, "20200102,,SO2,1,2,3", "hour"},
		{longHeader, "2020-01-02 13:30:00,1335A,x,80,70,71,59,60,6,7,40,41,30,31,20,21,0.9,1.0,PM2.5,良", "not on the hour"},
		{longHeader, "yesterday,1335A,x,80,70,71,59,60,6,7,40,41,30,31,20,21,0.9,1.0,PM2.5,良", "time point"},
		{longHeader, "2020-01-02 13:00:00,,x,80,70,71,59,60,6,7,40,41,30,31,20,21,0.9,1.0,PM2.5,良", "empty station code"},
	} {
		_, err := parser(t, tc.header).Row(strings.Split(tc.row, ","))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.row, err, tc.want)
		}
	}
	for _, h := range []string{"a,b,c", "date,hour,city,AQI", "date,hour,type", "date,hour,city,PM2.5,pm2_5"} {
		if _, err := NewParser(strings.Split(h, ",")); err == nil {
			t.Errorf("header %q accepted", h)
		}
	}
}

func fuzzRows(f *testing.F, header string, seeds ...string) {
	p := parser(f, header)
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, row string) {
		cells, err := p.Row(strings.Split(row, ","))
		if err != nil {
			return
		}
		for _, c := range cells {
			if c.Value < 0 || c.Point == "" || c.Time.IsZero() {
				t.Fatalf("bad cell %+v from %q", c, row)
			}
		}
	})
}

func FuzzCityRow(f *testing.F) {
	fuzzRows(f, cityHeader, "20200102,13,Changsha,80,59,60,70,71,6,7,40,41,30,31,20,21,0.9,1.0", "20200102,0,长沙,,,,,,,,,,,,,,,")
}

func FuzzWideRow(f *testing.F) {
	fuzzRows(f, wideHeader, "20200102,13,PM2.5,35,,NA", "2020-01-02,23,CO,0.5,1e3,-")
}

func FuzzLongRow(f *testing.F) {
	fuzzRows(f, longHeader, "2020-01-02 13:00:00,1335A,x,80,70,71,59,60,6,7,40,41,30,31,20,21,0.9,1.0,PM2.5,良")
}
