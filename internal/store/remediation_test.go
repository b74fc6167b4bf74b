package store_test

import (
	"context"
	"slices"
	"testing"

	"github.com/palisadesec/palisade/internal/dbtest"
	"github.com/palisadesec/palisade/internal/store"
)

// The exports read in batches; these tests cross several batch
// boundaries and check that nothing is lost, doubled or reordered.

func TestForEachAuditEntryReadsEveryBatch(t *testing.T) {
	pool, _ := dbtest.New(t)
	st := store.New(pool)
	ctx := context.Background()
	_, err := pool.Exec(ctx, `
		INSERT INTO audit_log (actor_kind, actor_name, action)
		SELECT 'user', 'user' || (g % 7), (ARRAY['exemption.create', 'exemption.revoke', 'auth.sign_in'])[1 + g % 3]
		FROM generate_series(1, 1234) g`)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		query store.AuditQuery
		want  int
	}{
		{name: "everything", want: 1234},
		// g % 3 == 1 for 412 of 1..1234.
		{name: "one action", query: store.AuditQuery{Action: "exemption.revoke"}, want: 412},
		// g % 7 == 3 for 176 of 1..1234.
		{name: "one actor", query: store.AuditQuery{Actor: "USER3"}, want: 176},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ids []int64
			err := st.ForEachAuditEntry(ctx, tt.query, func(e store.AuditEntry) error {
				ids = append(ids, e.ID)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(ids) != tt.want || !slices.IsSortedFunc(ids, func(a, b int64) int { return int(b - a) }) ||
				len(slices.Compact(slices.Clone(ids))) != len(ids) {
				t.Errorf("read %d entries (newest first, no repeats: %v), want %d", len(ids),
					slices.IsSortedFunc(ids, func(a, b int64) int { return int(b - a) }), tt.want)
			}
		})
	}
	actions, err := st.AuditActions(ctx)
	if err != nil || !slices.Equal(actions, []string{"auth.sign_in", "exemption.create", "exemption.revoke"}) {
		t.Errorf("AuditActions = %v, %v", actions, err)
	}
}

func TestForEachRecommendationResourceKeepsThePageOrder(t *testing.T) {
	pool, _ := dbtest.New(t)
	st := store.New(pool)
	ctx := context.Background()
	// 450 images with counts that tie often, so the order's last key (the
	// resource id) decides between many of them.
	_, err := pool.Exec(ctx, `
		INSERT INTO registries (name, url, webhook_token, webhook_secret) VALUES ('local', 'http://x', 't', 's');
		INSERT INTO repositories (registry_id, name) VALUES (1, 'app');
		INSERT INTO images (repository_id, digest, healthy, critical_count, high_count)
			SELECT 1, 'sha256:' || md5(g::text), g % 4 = 0, g % 3, g % 5 FROM generate_series(1, 450) g;
		INSERT INTO assessments (recommendation_id, resource_kind, resource_id, status, severity)
			SELECT 'image-vulnerabilities', 'image', id, CASE WHEN healthy THEN 'healthy' ELSE 'unhealthy' END,
				CASE WHEN critical_count > 0 THEN 'critical' WHEN high_count > 0 THEN 'high' ELSE 'none' END
			FROM images`)
	if err != nil {
		t.Fatal(err)
	}
	f := store.ResourceFilter{RecommendationID: "image-vulnerabilities", Show: store.ShowAll}
	var streamed []int64
	err = st.ForEachRecommendationResource(ctx, f, func(r store.ResourceRow) error {
		streamed = append(streamed, r.ResourceID)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var paged []int64
	for f.Offset = 0; ; f.Offset += 50 {
		f.Limit = 50
		rows, err := st.RecommendationResources(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			paged = append(paged, r.ResourceID)
		}
		if len(rows) < 50 {
			break
		}
	}
	if len(streamed) != 450 || !slices.Equal(streamed, paged) {
		t.Errorf("export streamed %d resources, pages listed %d; same order: %v", len(streamed), len(paged), slices.Equal(streamed, paged))
	}
	counts, err := st.RecommendationCounts(ctx)
	// g % 4 == 0 for 112 of 1..450.
	if err != nil || counts["image-vulnerabilities"].Healthy != 112 || counts["image-vulnerabilities"].Unhealthy != 338 {
		t.Errorf("counts = %+v, %v; want 112 healthy and 338 unhealthy", counts["image-vulnerabilities"], err)
	}
}
