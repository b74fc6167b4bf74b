package registry

import "testing"

func TestPushEventValidate(t *testing.T) {
	const d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	tests := []struct {
		name    string
		ev      PushEvent
		wantErr bool
	}{
		{name: "plain", ev: PushEvent{Repository: "team/app", Digest: d, Tag: "1.4.2"}},
		{name: "separators", ev: PushEvent{Repository: "a.b_c__d-e--f/g", Digest: d}},
		{name: "path climbing", ev: PushEvent{Repository: "../../etc", Digest: d}, wantErr: true},
		{name: "dot component", ev: PushEvent{Repository: "team/./app", Digest: d}, wantErr: true},
		{name: "upper case", ev: PushEvent{Repository: "UPPER/Case", Digest: d}, wantErr: true},
		{name: "empty", ev: PushEvent{Digest: d}, wantErr: true},
		{name: "tag with space", ev: PushEvent{Repository: "app", Digest: d, Tag: "x y"}, wantErr: true},
		{name: "tag starting with dot", ev: PushEvent{Repository: "app", Digest: d, Tag: ".x"}, wantErr: true},
		{name: "bad digest", ev: PushEvent{Repository: "app", Digest: "sha256:../../x"}, wantErr: true},
		{name: "short digest", ev: PushEvent{Repository: "app", Digest: "sha256:abc"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.ev.Validate(); (err != nil) != tt.wantErr {
				t.Errorf("Validate(%+v) = %v, want error %t", tt.ev, err, tt.wantErr)
			}
		})
	}
}
