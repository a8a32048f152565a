package hj212

import (
	"fmt"
	"strconv"
	"time"
)

// ReplyFor returns the answer the platform owes a frame a data acquisition
// unit sent, and false when none is owed (HJ 212-2017 §6.1, Appendix C):
//
//   - an upload (2011, 2051, 2061, 2031, 3020 …, and each part of a split
//     upload) with the Flag's A bit set gets 9014, the data answer;
//   - a notification (1013 time-calibration request; 2025's 1001, 1014 and
//     9015 heartbeat) gets 9013, the notification answer;
//   - answers (9011-9014), frames without A, and unknown commands get
//     nothing.
//
// A frame with a bad CRC never reaches here: the standard drops it (Table 2)
// and the device resends after its timeout.
func ReplyFor(f *Frame) (*Frame, bool) {
	c, ok := LookupCommand(f.CN)
	if !ok {
		return nil, false
	}
	switch c.FromDevice {
	case RoleUpload:
		if f.HasFlag && f.Flag.Ack() {
			return DataAnswer(f), true
		}
	case RoleNotification:
		return NotificationAnswer(f), true
	}
	return nil, false
}

// answer builds an interaction frame (ST=91, §6.6.1 Table 5) that echoes
// the QN, PW and MN of the frame answered. Answers never ask for an answer:
// the standard sends them with Flag=4, that is A=0 and the sender's version.
func answer(to *Frame, cn string, cp ...Field) *Frame {
	return &Frame{QN: to.QN, ST: "91", CN: cn, PW: to.PW, MN: to.MN,
		Flag: MakeFlag(to.Version(), false, false), HasFlag: true, CP: cp}
}

// DataAnswer is 9014, the answer to an upload (Appendix C, e.g. C.16):
// "QN=<echo>;ST=91;CN=9014;PW=…;MN=…;Flag=4;CP=&&&&".
func DataAnswer(to *Frame) *Frame { return answer(to, "9014") }

// NotificationAnswer is 9013, the answer to a notification.
func NotificationAnswer(to *Frame) *Frame { return answer(to, "9013") }

// RequestAnswer is 9011, a device's answer to a platform request, with
// QnRtn (QnRtnReady, …). The platform does not send it; simulators do.
func RequestAnswer(to *Frame, qnRtn int) *Frame {
	return answer(to, "9011", Field{Name: "QnRtn", Value: strconv.Itoa(qnRtn)})
}

// ExecutionResult is 9012, a device's result of a platform request, with
// ExeRtn (ExeRtnOK, …).
func ExecutionResult(to *Frame, exeRtn int) *Frame {
	return answer(to, "9012", Field{Name: "ExeRtn", Value: strconv.Itoa(exeRtn)})
}

// Target addresses a platform request to one data acquisition unit.
type Target struct {
	QN      string // new request id; FormatQN(now)
	ST      string // the device's system code, e.g. "32"
	PW      string
	MN      string
	Version Version // the device's edition (Flag version bits)
}

// request builds a platform request: the A bit is set, since every request
// expects a 9011 answer (§6.1; App. A's 1062 example has Flag=5).
func (t Target) request(cn string, cp ...Field) *Frame {
	return &Frame{QN: t.QN, ST: t.ST, CN: cn, PW: t.PW, MN: t.MN,
		Flag: MakeFlag(t.Version, false, true), HasFlag: true, CP: items(cp)}
}

// items puts each field in its own CP item.
func items(cp []Field) []Field {
	for i := range cp {
		cp[i].Item = i
	}
	return cp
}

// GetTime is 1011, ask the device's clock; polID names an instrument (or "").
func GetTime(t Target, polID string) *Frame {
	if polID == "" {
		return t.request("1011")
	}
	return t.request("1011", Field{Name: "PolId", Value: polID})
}

// SetTime is 1012, set the device's clock to now (written in now's location;
// pass a time in ChinaTime).
func SetTime(t Target, now time.Time) *Frame {
	return t.request("1012", Field{Name: "SystemTime", Value: FormatTime(now)})
}

// GetRtdInterval is 1061, ask the real-time upload interval.
func GetRtdInterval(t Target) *Frame { return t.request("1061") }

// SetRtdInterval is 1062, set the real-time interval in seconds (30-3600,
// §6.6.5 Table 9 note).
func SetRtdInterval(t Target, seconds int) (*Frame, error) {
	if seconds < 30 || seconds > 3600 {
		return nil, fmt.Errorf("hj212: RtdInterval %d s outside 30-3600: %w", seconds, ErrValue)
	}
	return t.request("1062", Field{Name: "RtdInterval", Value: strconv.Itoa(seconds)}), nil
}

// GetMinInterval is 1063, ask the minute-data interval.
func GetMinInterval(t Target) *Frame { return t.request("1063") }

// SetMinInterval is 1064, set the minute-data interval in minutes; the
// standard allows 1, 2, 3, 4, 5, 6, 10, 12, 15, 20 and 30 (divisors of an
// hour, so intervals align with hours).
func SetMinInterval(t Target, minutes int) (*Frame, error) {
	if minutes < 1 || minutes > 30 || 60%minutes != 0 {
		return nil, fmt.Errorf("hj212: MinInterval %d min not a divisor of 60 up to 30: %w", minutes, ErrValue)
	}
	return t.request("1064", Field{Name: "MinInterval", Value: strconv.Itoa(minutes)}), nil
}

// HistoryQuery asks for stored data: cn is 2031 (daily), 2041 (daily
// running time), 2051 (minute) or 2061 (hourly); begin and end are written
// in their own location (pass ChinaTime).
func HistoryQuery(t Target, cn string, begin, end time.Time) (*Frame, error) {
	switch cn {
	case "2031", "2041", "2051", "2061":
	default:
		return nil, fmt.Errorf("hj212: CN %s is not a history query (2031, 2041, 2051, 2061): %w", cn, ErrCode)
	}
	if end.Before(begin) {
		return nil, fmt.Errorf("hj212: history query ends before it begins: %w", ErrValue)
	}
	// Separate items: the ',' between them in C.23 and C.41 is one of the
	// standard's typos (the reference lists it with C.22's "QN=…,ST=").
	return t.request(cn, Field{Name: "BeginTime", Value: FormatTime(begin)},
		Field{Name: "EndTime", Value: FormatTime(end)}), nil
}

// Control builds a control command, 3011-3021 (3022 and 3024 for 2025
// devices), with its parameters (PolId, CstartTime, InfoId, …) each in its
// own CP item.
func Control(t Target, cn string, params ...Field) (*Frame, error) {
	c, ok := LookupCommand(cn)
	if !ok || cn[0] != '3' || c.FromPlatform != RoleRequest {
		return nil, fmt.Errorf("hj212: CN %s is not a control command: %w", cn, ErrCode)
	}
	return t.request(cn, append([]Field(nil), params...)...), nil
}
