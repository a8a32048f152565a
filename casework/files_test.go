package casework

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ecowatch/store"
)

var (
	pngHeader = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00")
	jpegBytes = []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
	pdfBytes  = []byte("%PDF-1.7\n1 0 obj\n<<>>\nendobj\n")
)

func zipOf(t testing.TB, names ...string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("<x/>"))
	}
	zw.Close()
	return buf.Bytes()
}

func TestSniff(t *testing.T) {
	for _, c := range []struct {
		name string
		data []byte
		want string // "" refused
	}{
		{"png", pngHeader, "image/png"},
		{"jpeg", jpegBytes, "image/jpeg"},
		{"pdf", pdfBytes, "application/pdf"},
		{"docx", zipOf(t, "[Content_Types].xml", "word/document.xml"), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
		{"xlsx", zipOf(t, "[Content_Types].xml", "xl/workbook.xml"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
		{"doc (OLE2)", append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 100)...), "application/x-ole-storage"},
		{"docm with macros", zipOf(t, "[Content_Types].xml", "word/document.xml", "word/vbaProject.bin"), ""},
		{"plain zip", zipOf(t, "evil.exe"), ""},
		{"html", []byte("<!DOCTYPE html><script>alert(1)</script>"), ""},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), ""},
		{"svg with xml prolog", []byte(`<?xml version="1.0"?><svg onload="alert(1)"/>`), ""},
		{"windows exe", append([]byte("MZ\x90\x00"), make([]byte, 100)...), ""},
		{"elf", []byte("\x7fELF\x02\x01\x01\x00"), ""},
		{"shell script", []byte("#!/bin/sh\nrm -rf /\n"), ""},
		{"text", []byte("hello"), ""},
	} {
		got, err := Sniff(c.data)
		if c.want == "" {
			if err == nil || !errors.Is(err, ErrFileType) || !errors.Is(err, store.ErrInvalid) {
				t.Errorf("%s: accepted as %q (%v)", c.name, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%s: %q, %v; want %q", c.name, got, err, c.want)
		}
	}
}

func TestFilesPut(t *testing.T) {
	fs := Files{Dir: t.TempDir(), MaxSize: 1024}
	f, err := fs.Put(bytes.NewReader(pngHeader), `C:\photos\..\"evil"\n.png`)
	if err != nil {
		t.Fatal(err)
	}
	if f.ContentType != "image/png" || f.Size != int64(len(pngHeader)) || len(f.SHA256) != 64 || strings.ContainsAny(f.Name, `"\/`) {
		t.Errorf("stored %+v", f)
	}
	if _, err := os.Stat(filepath.Join(fs.Dir, f.SHA256[:2], f.SHA256[2:4], f.SHA256)); err != nil {
		t.Errorf("not at its content address: %v", err)
	}
	again, err := fs.Put(bytes.NewReader(pngHeader), "again.png")
	if err != nil || again.SHA256 != f.SHA256 {
		t.Errorf("same content, other address: %v %v", again, err)
	}
	r, err := fs.Open(f.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r)
	r.Close()
	if !bytes.Equal(b, pngHeader) {
		t.Error("read back other bytes")
	}
	big := append(append([]byte{}, pngHeader...), make([]byte, 1024)...)
	if _, err := fs.Put(bytes.NewReader(big), "big.png"); !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), "larger than 1024") {
		t.Errorf("oversized: %v", err)
	}
	if _, err := fs.Put(bytes.NewReader(nil), "empty.png"); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("empty: %v", err)
	}
	if _, err := fs.Put(strings.NewReader("<html><script></script>"), "photo.jpg"); !errors.Is(err, ErrFileType) {
		t.Errorf("html named .jpg: %v", err)
	}
	for _, bad := range []string{"../../etc/passwd", strings.Repeat("g", 64), ""} {
		if _, err := fs.Open(bad); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("open %q: %v", bad, err)
		}
	}
	if _, err := fs.Open(strings.Repeat("0", 64)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("open unknown: %v", err)
	}
}

// FuzzSniff: any bytes give a type from the accepted list or an error
// wrapping ErrFileType; never a panic (zip directories are parsed).
func FuzzSniff(f *testing.F) {
	f.Add(pngHeader)
	f.Add(pdfBytes)
	f.Add(zipOf(f, "[Content_Types].xml", "word/document.xml"))
	f.Add([]byte("<svg/>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ct, err := Sniff(data)
		if err != nil {
			if !errors.Is(err, ErrFileType) {
				t.Fatalf("error not wrapping ErrFileType: %v", err)
			}
			return
		}
		switch ct {
		case "image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf", "application/x-ole-storage",
			"application/vnd.openxmlformats-officedocument.wordprocessingml.document",
			"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
			"application/vnd.openxmlformats-officedocument.presentationml.presentation":
		default:
			t.Fatalf("accepted type %q", ct)
		}
	})
}

// FuzzValidateComplaint: any input is accepted or refused with an invalid
// error, never a panic.
func FuzzValidateComplaint(f *testing.F) {
	f.Add("河边冒黑水", "长沙市", "138", 113.0, 28.2, true)
	f.Fuzz(func(t *testing.T, what, addr, contact string, lon, lat float64, pt bool) {
		c := Complaint{What: what, Address: addr, Contact: contact, Lon: lon, Lat: lat, HasPoint: pt}
		if err := ValidateComplaint(&c, t0); err != nil && !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("error not wrapping ErrInvalid: %v", err)
		}
	})
}
