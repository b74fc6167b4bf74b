//go:build e2e

package dockerhost_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/palisadesec/palisade/e2e/dockerhost"
	"github.com/palisadesec/palisade/internal/hostbench"
	"github.com/palisadesec/palisade/internal/hostsnapshot"
	"github.com/palisadesec/palisade/internal/hostsnapshot/collect"
)

func TestCollectAndEvaluateRealEngine(t *testing.T) {
	eng := dockerhost.Start(t)
	image := "palisade-e2e/busybox:1"
	usedID := eng.ImportBusybox(t, image)
	unusedID := eng.ImportBusybox(t, "palisade-e2e/unused:1")

	col := collect.New(eng.Socket, "/", "e2e")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		// What the agent does: follow events so that health-check execs,
		// which the engine forgets within a second, are seen.
		_ = col.Docker.Events(ctx, map[string][]string{"type": {"container"}}, func(ev collect.Event) {
			col.ObserveEvent(ctx, ev)
		})
	}()

	// The faulty set, with the failing controls of each worked out by hand
	// (see dockerhost.Faults).
	tests, ids := eng.CreateFaults(t, image)
	time.Sleep(3 * time.Second) // let health checks run a few times

	snap, err := col.Collect(ctx)
	if err != nil {
		t.Fatalf("collect: %v", err)
	}
	if err := snap.Validate(); err != nil {
		t.Fatalf("validate collected snapshot: %v", err)
	}
	rep, err := hostbench.Evaluate(snap, hostbench.Options{})
	if err != nil {
		t.Fatalf("evaluate: %v", err)
	}

	for _, tc := range tests {
		t.Run(tc.Name, func(t *testing.T) {
			var got []string
			seen := false
			for _, r := range rep.Results {
				if r.Resource.Kind != hostbench.KindContainer || r.Resource.ID != ids[tc.Name] {
					continue
				}
				seen = true
				if r.Status == hostbench.StatusFail {
					got = append(got, r.ControlID)
				}
			}
			if !seen {
				t.Fatalf("no container-level results for %s", tc.Name)
			}
			sort.Strings(got)
			want := append([]string(nil), tc.Want...)
			sort.Strings(want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("failing controls (-want +got):\n%s\n%s", diff, evidence(rep, ids[tc.Name]))
			}
		})
	}

	t.Run("images in use told apart", func(t *testing.T) {
		inUse := map[string]bool{}
		for _, im := range snap.Engine.Images.Value {
			inUse[im.ID] = im.InUse
		}
		if !inUse[usedID] || inUse[unusedID] {
			t.Errorf("InUse: used image %v, unused image %v; want true, false", inUse[usedID], inUse[unusedID])
		}
	})

	t.Run("dockerd command line read", func(t *testing.T) {
		p := snap.Host.Dockerd.Value
		if p == nil || !strings.Contains(p.FoundBy, eng.Socket) {
			t.Fatalf("dockerd: %+v %s", p, snap.Host.Dockerd.Reason())
		}
		// --iptables=false is only on the command line.
		if r := result(rep, "2.4"); r.Status != hostbench.StatusFail {
			t.Errorf("2.4 = %s (%s), want fail", r.Status, r.Evidence)
		}
	})

	t.Run("health-check execs seen and not counted", func(t *testing.T) {
		n := 0
		for _, s := range snap.Engine.Execs.Value.Sessions {
			if s.ContainerID == ids["good"] {
				n++
			}
		}
		if n == 0 {
			t.Errorf("no exec sessions recorded for the good container; health checks run every second")
		}
	})
}

func result(rep *hostbench.Report, id string) hostbench.Result {
	for _, r := range rep.Results {
		if r.ControlID == id {
			return r
		}
	}
	return hostbench.Result{}
}

func evidence(rep *hostbench.Report, id string) string {
	var b strings.Builder
	for _, r := range rep.Results {
		if r.Resource.ID == id {
			fmt.Fprintf(&b, "  %s %s: %s\n", r.ControlID, r.Status, r.Evidence)
		}
	}
	return b.String()
}

var _ = hostsnapshot.SchemaVersion
