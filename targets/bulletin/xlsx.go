package bulletin

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"ecowatch/assess/decimal"
	"ecowatch/targets"
)

// AirHeader is the column header of the air bulletin's table.
var AirHeader = []string{"排名", "城市", "SO2(µg/m³)", "NO2(µg/m³)", "PM10(µg/m³)", "CO(mg/m³)", "O3(µg/m³)", "PM2.5(µg/m³)",
	"综合指数", "综合指数同比(%)", "优良天数比例(%)", "重污染天数", "首要污染物"}

// AirRecord is a row of the table as text, the cells of the CSV output
// and (as numbers where numeric) of the workbook.
func AirRecord(r targets.CityRow) []string {
	rank := ""
	if r.IndexRank > 0 {
		rank = strconv.Itoa(r.IndexRank)
	}
	str := func(d *decimal.Decimal) string {
		if d == nil {
			return ""
		}
		return d.String()
	}
	heavy := strconv.Itoa(r.HeavyDays)
	if r.ValidDays == 0 {
		heavy = "" // no data, not zero days
	}
	return []string{rank, r.Name, r.SO2, r.NO2, r.PM10, r.CO, r.O3, r.PM25, str(r.Index), str(r.IndexChange), str(r.GoodRatio),
		heavy, strings.Join(r.Primary, "、")}
}

// WriteAirXLSX writes the bulletin as a workbook of one sheet: title,
// header, the cities in rank order and the province's line; numbers are
// numeric cells.
func WriteAirXLSX(w io.Writer, b Air) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "空气质量月报"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	set := func(col, row int, v string, numeric bool) error {
		cell, err := excelize.CoordinatesToCellName(col, row)
		if err != nil {
			return err
		}
		if numeric && v != "" {
			if x, err := strconv.ParseFloat(v, 64); err == nil {
				return f.SetCellFloat(sheet, cell, x, -1, 64)
			}
		}
		return f.SetCellStr(sheet, cell, v)
	}
	if err := set(1, 1, b.Title, false); err != nil {
		return err
	}
	if err := set(1, 2, b.TitleEn, false); err != nil {
		return err
	}
	for k, h := range AirHeader {
		if err := set(k+1, 3, h, false); err != nil {
			return err
		}
	}
	rows := append(append([]targets.CityRow{}, b.Rows...), b.Province)
	for i, r := range rows {
		rec := AirRecord(r)
		if i == len(rows)-1 {
			rec[0], rec[12] = "", ""
		}
		for k, v := range rec {
			if err := set(k+1, 4+i, v, k != 1 && k != 12); err != nil {
				return err
			}
		}
	}
	for i, n := range b.Notes {
		if err := set(1, 6+len(rows)+i, n, false); err != nil {
			return err
		}
	}
	_ = f.MergeCell(sheet, "A1", "M1")
	_ = f.SetColWidth(sheet, "B", "B", 18)
	_ = f.SetColWidth(sheet, "C", "M", 12)
	orient, size := "landscape", 9 // 9 is A4 in SpreadsheetML
	if err := f.SetPageLayout(sheet, &excelize.PageLayoutOptions{Orientation: &orient, Size: &size}); err != nil {
		return err
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("bulletin xlsx: %w", err)
	}
	return nil
}

// WaterHeader is the column header of the water report.
var WaterHeader = []string{"断面", "地区", "样本数", "水质类别", "水质状况", "目标类别", "达标", "主要污染指标"}

// WaterRecord is a section's row as text.
func WaterRecord(s Section) []string {
	meets := "否"
	if s.Meets {
		meets = "是"
	}
	if s.TargetClass == "" {
		meets = ""
	}
	return []string{s.Name, s.Region, strconv.Itoa(s.Samples), s.Class, s.Status, s.TargetClass, meets, strings.Join(s.Main, "、")}
}

// WriteWaterXLSX writes the water report as a workbook.
func WriteWaterXLSX(w io.Writer, r Water) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "地表水月报"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	rows := [][]string{{r.Title}, WaterHeader}
	for _, s := range r.Sections {
		rows = append(rows, WaterRecord(s))
	}
	good := ""
	if r.GoodRatio != nil {
		good = r.GoodRatio.String()
	}
	rows = append(rows, []string{"Ⅰ–Ⅲ类比例(%)", good})
	for i, rec := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		vals := make([]any, len(rec))
		for k, v := range rec {
			vals[k] = v
		}
		if err := f.SetSheetRow(sheet, cell, &vals); err != nil {
			return err
		}
	}
	_, err := f.WriteTo(w)
	return err
}
