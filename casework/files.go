package casework

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"ecowatch/store"
)

// File is a stored attachment's content: its address (sha256), size, the
// type found by sniffing its bytes, and the name it was uploaded with.
type File struct {
	SHA256      string
	Size        int64
	ContentType string
	Name        string
}

// DefaultMaxFile is the largest attachment accepted: a phone photo or a
// scanned report, not a video.
const DefaultMaxFile = 10 << 20

// Files keeps attachments content-addressed in a directory: a file's path
// is its sha256 (dir/ab/cd/abcd…), so the same photo uploaded twice is
// stored once and a stored file cannot be replaced by another.
type Files struct {
	Dir     string
	MaxSize int64 // 0: DefaultMaxFile
}

// ErrFileType is wrapped (with store.ErrInvalid) by the error for content
// of a type not accepted.
var ErrFileType = errors.New("file type not accepted")

// Sniff returns the content type of an attachment from its first bytes
// (and, for office documents, its zip directory), or an error wrapping
// ErrFileType: accepted are JPEG, PNG, GIF and WebP images, PDF, and
// office documents (OOXML .docx/.xlsx/.pptx, and the older OLE2 .doc/.xls).
// The declared type and the file name are not trusted: HTML, SVG (which
// can carry script), executables and plain archives are refused whatever
// they are called.
func Sniff(data []byte) (string, error) {
	ct := http.DetectContentType(data) // WHATWG MIME sniffing over the first 512 bytes
	switch ct {
	case "image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf":
		return ct, nil
	case "application/zip":
		if t := ooxmlType(data); t != "" {
			return t, nil
		}
		return "", fmt.Errorf("%w: %w: a zip archive that is not an office document", store.ErrInvalid, ErrFileType)
	}
	// OLE2 compound file (MS-CFB §2.2 header signature): .doc, .xls, .ppt.
	if bytes.HasPrefix(data, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}) {
		return "application/x-ole-storage", nil
	}
	return "", fmt.Errorf("%w: %w: %s (accepted: JPEG, PNG, GIF, WebP, PDF, Word, Excel, PowerPoint)", store.ErrInvalid, ErrFileType, ct)
}

// ooxmlType recognises an OOXML package (ECMA-376 part 2: a zip with
// [Content_Types].xml) by its main part's folder.
func ooxmlType(data []byte) string {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return ""
	}
	var types bool
	kind := ""
	for _, f := range zr.File {
		name := f.Name
		switch {
		case name == "[Content_Types].xml":
			types = true
		case strings.HasPrefix(name, "word/"):
			kind = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
		case strings.HasPrefix(name, "xl/"):
			kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		case strings.HasPrefix(name, "ppt/"):
			kind = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
		}
		// Macros (vbaProject.bin) make a document executable.
		if strings.HasSuffix(strings.ToLower(name), "vbaproject.bin") {
			return ""
		}
	}
	if !types {
		return ""
	}
	return kind
}

func (fs Files) max() int64 {
	if fs.MaxSize > 0 {
		return fs.MaxSize
	}
	return DefaultMaxFile
}

// Put reads one upload (at most MaxSize bytes), checks its type by its
// content and stores it under its sha256. name is kept as metadata only
// (cleaned of paths and control characters).
func (fs Files) Put(r io.Reader, name string) (File, error) {
	if fs.Dir == "" {
		return File{}, errors.New("attachments: no directory configured")
	}
	data, err := io.ReadAll(io.LimitReader(r, fs.max()+1))
	if err != nil {
		return File{}, fmt.Errorf("read upload: %w", err)
	}
	if int64(len(data)) > fs.max() {
		return File{}, fmt.Errorf("%w: file %q: larger than %d bytes", store.ErrInvalid, cleanName(name), fs.max())
	}
	if len(data) == 0 {
		return File{}, fmt.Errorf("%w: file %q: empty", store.ErrInvalid, cleanName(name))
	}
	ct, err := Sniff(data)
	if err != nil {
		return File{}, fmt.Errorf("file %q: %w", cleanName(name), err)
	}
	sum := sha256.Sum256(data)
	f := File{SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data)), ContentType: ct, Name: cleanName(name)}
	path := fs.path(f.SHA256)
	if _, err := os.Stat(path); err == nil {
		return f, nil // content-addressed: already stored, and identical
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return File{}, err
	}
	// Write to a temporary name and rename: a reader never sees half a file.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".upload-*")
	if err != nil {
		return File{}, err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return File{}, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return File{}, err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return File{}, err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return File{}, err
	}
	return f, nil
}

// Open opens a stored file by its sha256.
func (fs Files) Open(sha string) (*os.File, error) {
	if !isHex64(sha) {
		return nil, fmt.Errorf("%w: sha256 %q", store.ErrInvalid, sha)
	}
	f, err := os.Open(fs.path(sha))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("file %s: %w", sha, store.ErrNotFound)
	}
	return f, err
}

func (fs Files) path(sha string) string {
	return filepath.Join(fs.Dir, sha[:2], sha[2:4], sha)
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// cleanName keeps the base name of an upload, without control characters
// or quotes (it goes into a Content-Disposition header), at most 100
// characters.
func cleanName(name string) string {
	name = filepath.Base(strings.ReplaceAll(name, `\`, "/"))
	if !utf8.ValidString(name) {
		name = strings.ToValidUTF8(name, "_")
	}
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' || r == '/' {
			return '_'
		}
		return r
	}, name)
	if name == "." || name == "" {
		name = "file"
	}
	if r := []rune(name); len(r) > 100 {
		name = string(r[:100])
	}
	return name
}
