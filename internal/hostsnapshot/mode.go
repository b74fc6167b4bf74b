package hostsnapshot

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// Mode is a file's permission bits with setuid, setgid and sticky
// (mode & 07777). It is written to JSON as an octal string, "0640".
type Mode uint32

// String formats the mode as four octal digits.
func (m Mode) String() string { return fmt.Sprintf("%04o", uint32(m)) }

// Within reports whether m grants no bit outside allowed: 0640 is within
// 0644, 0660 is not, and neither is 04755 within 0755.
func (m Mode) Within(allowed Mode) bool { return m&^allowed == 0 }

// MarshalJSON writes the mode as an octal string.
func (m Mode) MarshalJSON() ([]byte, error) {
	return json.Marshal(m.String())
}

// UnmarshalJSON reads an octal string such as "0640" or "640".
func (m *Mode) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("mode must be an octal string: %w", err)
	}
	if s == "" {
		*m = 0
		return nil
	}
	v, err := strconv.ParseUint(s, 8, 32)
	if err != nil || v > 07777 {
		return fmt.Errorf("mode %q is not an octal mode up to 07777", s)
	}
	*m = Mode(v)
	return nil
}
