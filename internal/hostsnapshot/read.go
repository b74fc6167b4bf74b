package hostsnapshot

import (
	"errors"
	"io/fs"
	"syscall"
)

// ReadState says whether a collected item could be read.
type ReadState string

// The read states. Every item in a valid snapshot has one of them.
const (
	ReadOK      ReadState = "ok"
	ReadMissing ReadState = "not_found"
	ReadDenied  ReadState = "permission_denied"
	ReadFailed  ReadState = "error"
	// ReadSkipped marks an item the agent did not try to read, with the
	// reason in Detail (for example swarm details on a host without swarm).
	ReadSkipped ReadState = "skipped"
)

// Read records whether an item could be read, and why not.
type Read struct {
	State  ReadState `json:"state"`
	Detail string    `json:"detail,omitempty"`
}

// OK reports whether the item was read.
func (r Read) OK() bool { return r.State == ReadOK }

// Missing reports whether the item does not exist.
func (r Read) Missing() bool { return r.State == ReadMissing }

// Reason describes an unread item for evidence texts, such as
// "not readable: permission denied" or "not found".
func (r Read) Reason() string {
	var s string
	switch r.State {
	case ReadOK:
		return "read"
	case ReadMissing:
		s = "not found"
	case ReadDenied:
		s = "not readable: permission denied"
	case ReadSkipped:
		s = "not collected"
	case "":
		s = "not collected"
	default:
		s = "not readable"
	}
	if r.Detail != "" {
		s += " (" + r.Detail + ")"
	}
	return s
}

// Valid reports whether the state is one of the known ones.
func (s ReadState) Valid() bool {
	switch s {
	case ReadOK, ReadMissing, ReadDenied, ReadFailed, ReadSkipped:
		return true
	}
	return false
}

// ReadOf classifies an error from reading an item. A nil error is ReadOK.
func ReadOf(err error) Read {
	switch {
	case err == nil:
		return Read{State: ReadOK}
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		return Read{State: ReadMissing}
	case errors.Is(err, fs.ErrPermission):
		return Read{State: ReadDenied}
	default:
		return Read{State: ReadFailed, Detail: truncate(err.Error(), 300)}
	}
}

// Skipped returns a ReadSkipped with a reason.
func Skipped(reason string) Read {
	return Read{State: ReadSkipped, Detail: reason}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
