package secrets

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestSealOpen(t *testing.T) {
	key := strings.Repeat("k", 32)
	box, err := New(key)
	if err != nil {
		t.Fatal(err)
	}
	other, err := New(strings.Repeat("o", 32))
	if err != nil {
		t.Fatal(err)
	}
	sealed := box.Seal([]byte("hunter2"), "registry:1:credentials")
	if bytes.Contains(sealed, []byte("hunter2")) {
		t.Fatal("sealed value contains the plaintext")
	}

	tests := []struct {
		name    string
		box     *Box
		sealed  []byte
		context string
		wantErr bool
	}{
		{name: "same key and context", box: box, sealed: sealed, context: "registry:1:credentials"},
		{name: "other key", box: other, sealed: sealed, context: "registry:1:credentials", wantErr: true},
		{name: "moved to another row", box: box, sealed: sealed, context: "registry:2:credentials", wantErr: true},
		{name: "altered", box: box, sealed: append(append([]byte{}, sealed[:len(sealed)-1]...), sealed[len(sealed)-1]^1), context: "registry:1:credentials", wantErr: true},
		{name: "truncated", box: box, sealed: sealed[:5], context: "registry:1:credentials", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plain, err := tt.box.Open(tt.sealed, tt.context)
			if tt.wantErr {
				if !errors.Is(err, ErrCannotOpen) {
					t.Errorf("Open = %q, %v; want ErrCannotOpen", plain, err)
				}
				return
			}
			if err != nil || string(plain) != "hunter2" {
				t.Errorf("Open = %q, %v; want hunter2", plain, err)
			}
		})
	}
	if _, err := New("short"); err == nil {
		t.Error("New accepted a short key")
	}
}
