package hj212_test

import (
	"errors"
	"fmt"
	"strings"

	"ecowatch/hj212"
)

// Appendix A's example frame, decoded strictly.
func ExampleDecode() {
	raw := []byte("##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1C80\r\n")
	f, err := hj212.Decode(raw, hj212.Strict)
	if err != nil {
		panic(err)
	}
	v, _ := f.Param("RtdInterval")
	fmt.Println(f.CN, f.Version(), f.Flag.Ack(), v)
	// Output: 1062 2017 true 30
}

// A bad CRC is a *ParseError that says where and what was expected; the
// standard's own text prints this CRC as 1C08, a typo for 1C80.
func ExampleDecode_error() {
	raw := []byte("##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1C08\r\n")
	_, err := hj212.Decode(raw, hj212.Strict)
	var pe *hj212.ParseError
	fmt.Println(errors.As(err, &pe), errors.Is(err, hj212.ErrCRC), pe.Code, pe.Offset, pe.Expected)
	// Output: true true crc 107 1C80
}

// Tolerant mode accepts a lower-case CRC and a missing CRLF, and says so.
func ExampleDecode_tolerant() {
	raw := []byte("##0094QN=20231008125115215;ST=22;CN=9011;PW=123456;MN=010000A8900016F000169DC0;Flag=4;CP=&&QnRtn=1&&cc01")
	f, err := hj212.Decode(raw, hj212.Tolerant)
	if err != nil {
		panic(err)
	}
	for _, d := range f.Diagnostics {
		fmt.Println(d.Quirk)
	}
	// Output:
	// terminator
	// lowercase-crc
}

// A stream with garbage and two frames stuck together comes out as three
// tokens: the garbage with its framing error, then each frame.
func ExampleScanner() {
	frame := "##0026QN=1;ST=22;CN=2011;CP=&&&&53C0\r\n"
	s := hj212.NewScanner(strings.NewReader("noise" + frame + frame))
	for s.Scan() {
		fmt.Printf("%d bytes at %d, framing error: %v\n", len(s.Bytes()), s.Offset(), s.FramingErr() != nil)
	}
	// Output:
	// 5 bytes at 0, framing error: true
	// 38 bytes at 5, framing error: false
	// 38 bytes at 43, framing error: false
}

// The platform answers an upload that asks for it with 9014.
func ExampleReplyFor() {
	raw := []byte("##0162QN=20231008123340461;ST=22;CN=2011;PW=123456;MN=010000A8900016F000169DC0;Flag=5;CP=&&DataTime=20231008123340;w01008-SampleTime=20231008123340,w01008-Rtd=123.456&&F441\r\n")
	f, _ := hj212.Decode(raw, hj212.Strict)
	reply, ok := hj212.ReplyFor(f)
	b, _ := hj212.Encode(reply)
	fmt.Print(ok, " ", string(b))
	// Output: true ##0087QN=20231008123340461;ST=91;CN=9014;PW=123456;MN=010000A8900016F000169DC0;Flag=4;CP=&&&&0F00
}
