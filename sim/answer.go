package sim

import (
	"context"
	"strconv"
	"time"

	"ecowatch/hj212"
)

// QnRtn and ExeRtn values of HJ 212-2017 Table 8/7 that a device sends.
const (
	qnReady   = 1
	qnPWWrong = 3
	qnCNWrong = 8
	exeOK     = 1
	exeFailed = 2
)

// answer follows the request flow of HJ 212-2017 §6.6.3 and Appendix C:
// 9011 (request answer), then any data upload carrying the request's QN,
// then 9012 (execution result).
func (d *Device) answer(ctx context.Context, req *hj212.Frame) {
	d.stats.Answered.Add(1)
	if req.PW != d.cfg.PW {
		_ = d.send(hj212.RequestAnswer(req, qnPWWrong))
		return
	}
	field := func(name string) string {
		for _, f := range req.CP {
			if f.Name == name {
				return f.Value
			}
		}
		return ""
	}
	upload := func(cn string, cp ...hj212.Field) error {
		f := &hj212.Frame{QN: req.QN, ST: d.prof.ST, CN: cn, PW: d.cfg.PW, MN: d.cfg.MN,
			Flag: hj212.MakeFlag(hj212.V2017, false, false), HasFlag: true, CP: cp}
		return d.send(f)
	}
	exe := exeOK
	var ok bool
	switch req.CN {
	case "1011", "1012", "1061", "1062", "1063", "1064", "2031", "2041", "2051", "2061":
		ok = true
	default:
		c, known := hj212.LookupCommand(req.CN)
		ok = known && req.CN >= "3011" && req.CN <= "3021" && c.CN != ""
	}
	if !ok {
		_ = d.send(hj212.RequestAnswer(req, qnCNWrong))
		return
	}
	if err := d.send(hj212.RequestAnswer(req, qnReady)); err != nil {
		return
	}
	switch req.CN {
	case "1011":
		_ = upload("1011", hj212.Field{Name: "SystemTime", Value: hj212.FormatTime(d.now().In(chinaTime))})
	case "1012":
		t, err := hj212.ParseTime(field("SystemTime"), chinaTime)
		if err != nil {
			exe = exeFailed
			break
		}
		// Setting the clock removes the drift: the device now reads t.
		d.drift.Store(int64(t.Sub(d.cfg.Clock.Now())))
	case "1061":
		_ = upload("1061", hj212.Field{Name: "RtdInterval", Value: strconv.Itoa(int(time.Duration(d.rtd.Load()) / time.Second))})
	case "1062":
		n, err := strconv.Atoi(field("RtdInterval"))
		if err != nil || n < 30 || n > 3600 { // §C.8: 30 to 3600 s
			exe = exeFailed
			break
		}
		d.rtd.Store(int64(time.Duration(n) * time.Second))
	case "1063":
		_ = upload("1063", hj212.Field{Name: "MinInterval", Value: strconv.Itoa(int(time.Duration(d.minute.Load()) / time.Minute))})
	case "1064":
		n, err := strconv.Atoi(field("MinInterval"))
		if err != nil || n < 1 || 60%n != 0 {
			exe = exeFailed
			break
		}
		d.minute.Store(int64(time.Duration(n) * time.Minute))
	case "2031", "2041", "2051", "2061":
		exe = d.history(ctx, req, field("BeginTime"), field("EndTime"))
	}
	_ = d.send(hj212.ExecutionResult(req, exe))
}

// maxHistory bounds one history answer (a month of hours).
const maxHistory = 744

// history uploads the asked range with the request's QN, one frame per
// interval that starts within [begin, end].
func (d *Device) history(ctx context.Context, req *hj212.Frame, b, e string) int {
	begin, err1 := hj212.ParseTime(b, chinaTime)
	end, err2 := hj212.ParseTime(e, chinaTime)
	if err1 != nil || err2 != nil || end.Before(begin) {
		return exeFailed
	}
	var step time.Duration
	switch req.CN {
	case "2031":
		step = 24 * time.Hour
	case "2051":
		step = time.Duration(d.minute.Load())
	case "2061":
		step = d.prof.Hour
	default: // 2041, rolling run time: not simulated
		return exeFailed
	}
	if step <= 0 {
		return exeFailed
	}
	t := begin.Truncate(step)
	if req.CN == "2031" {
		y, m, dd := begin.In(chinaTime).Date()
		t = time.Date(y, m, dd, 0, 0, 0, 0, chinaTime)
	}
	if t.Before(begin) {
		t = t.Add(step)
	}
	for n := 0; !t.After(end) && n < maxHistory; n++ {
		if ctx.Err() != nil {
			return exeFailed
		}
		if err := d.upload(ctx, req.CN, t, step, req.QN, true); err != nil {
			return exeFailed
		}
		t = t.Add(step)
	}
	return exeOK
}
