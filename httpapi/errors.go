package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"ecowatch/auth"
	"ecowatch/store"
)

// Error codes of the API contract (the OpenAPI document's Error schema). A code is
// stable; the messages may change.
const (
	CodeBadRequest      = "bad_request"
	CodeUnauthenticated = "unauthenticated"
	CodeForbidden       = "forbidden"
	CodeNotFound        = "not_found"
	CodeConflict        = "conflict"
	CodeRateLimited     = "rate_limited"
	CodeCSRF            = "csrf"
	CodeInvalid         = "invalid"
	CodeInternal        = "internal"
	// CodeMethodNotAllowed answers a known path called with a method it
	// does not have (405, with an Allow header).
	CodeMethodNotAllowed = "method_not_allowed"
)

// statusOf is the one mapping from codes to HTTP statuses.
var statusOf = map[string]int{
	CodeBadRequest:      http.StatusBadRequest,
	CodeUnauthenticated: http.StatusUnauthorized,
	CodeForbidden:       http.StatusForbidden,
	CodeNotFound:        http.StatusNotFound,
	CodeConflict:        http.StatusConflict,
	CodeRateLimited:     http.StatusTooManyRequests,
	CodeCSRF:            http.StatusForbidden,
	CodeInvalid:         http.StatusUnprocessableEntity,
	CodeInternal:        http.StatusInternalServerError,

	CodeMethodNotAllowed: http.StatusMethodNotAllowed,
}

// zh is the Chinese message of each code, shown when the English message
// is technical.
var zh = map[string]string{
	CodeBadRequest:      "请求格式不正确",
	CodeUnauthenticated: "请先登录",
	CodeForbidden:       "没有权限访问",
	CodeNotFound:        "未找到",
	CodeConflict:        "与已有记录冲突",
	CodeRateLimited:     "尝试次数过多，请稍后再试",
	CodeCSRF:            "安全校验失败，请刷新页面后重试",
	CodeInvalid:         "输入有误",
	CodeInternal:        "服务器内部错误",

	CodeMethodNotAllowed: "不支持该请求方法",
}

// FieldError names a field of the request that is wrong.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// Error is an API error: a code, an English message and, optionally, a
// Chinese one and the fields at fault.
type Error struct {
	Code      string       `json:"code"`
	Message   string       `json:"message"`
	MessageZh string       `json:"message_zh"`
	Fields    []FieldError `json:"fields,omitempty"`
	cause     error
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }
func (e *Error) Unwrap() error { return e.cause }

// errorf makes an Error of a code with an English message.
func errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// asError maps any error to an API error: domain errors by their sentinel
// (store.ErrNotFound, ErrInvalid, ErrConflict), anything else is internal
// and its text is not shown (it may hold SQL or paths).
func asError(err error) *Error {
	var e *Error
	switch {
	case errors.As(err, &e):
		return e
	case errors.Is(err, store.ErrNotFound):
		return &Error{Code: CodeNotFound, Message: err.Error(), cause: err}
	case errors.Is(err, store.ErrConflict):
		return &Error{Code: CodeConflict, Message: err.Error(), cause: err}
	case errors.Is(err, store.ErrInvalid), errors.Is(err, auth.ErrInvalid):
		return &Error{Code: CodeInvalid, Message: err.Error(), cause: err}
	}
	return &Error{Code: CodeInternal, Message: "internal error", cause: err}
}

// writeError is the one error renderer.
func (a *API) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := asError(err)
	if e.Code == CodeInternal {
		a.log.Error("api request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if e.MessageZh == "" {
		e.MessageZh = zh[e.Code]
	}
	status, ok := statusOf[e.Code]
	if !ok {
		status = http.StatusInternalServerError
	}
	writeJSON(w, status, map[string]any{"error": e})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}
