-- A large console state for benchmarks: 5 registries, 2,000 repositories,
-- 10,000 images (5 per repository, 4 layers each, the first 2 from the
-- base image), 20 packages per image and 100 findings per image
-- (1,000,000 findings) over 5,000 vulnerabilities, 5,000 advisories,
-- 20,000 scans and one assessment per image. Severities, fix states and
-- package types cycle, so every filter matches a share of the rows.
INSERT INTO feed_versions (source, digest, ecosystems, full_feed)
VALUES ('snapshot:Go@2026-08-21', 'sha256:seed', '{Go,PyPI,Debian:12}', true);

INSERT INTO registries (name, url, webhook_token, webhook_secret)
SELECT 'reg' || r, 'https://reg' || r || '.example', 'token' || r, '\x00'
FROM generate_series(1, 5) r;

INSERT INTO repositories (registry_id, name)
SELECT (SELECT id FROM registries ORDER BY id LIMIT 1) + (n % 5), 'team' || (n % 40) || '/app' || n
FROM generate_series(1, 2000) n;

INSERT INTO images (repository_id, digest, platform, os_name, size_bytes, scanned_at, feed_version_id)
SELECT r.id, 'sha256:' || md5(r.id || '-' || v), 'linux/amd64', 'Debian GNU/Linux 12 (bookworm)', 50000000,
    now() - (v || ' days')::interval, (SELECT max(id) FROM feed_versions)
FROM repositories r, generate_series(1, 5) v;

INSERT INTO tags (repository_id, name, digest)
SELECT i.repository_id, 'v' || row_number() OVER (PARTITION BY i.repository_id ORDER BY i.id), i.digest
FROM images i;

INSERT INTO image_layers (image_id, idx, digest, diff_id, size_bytes, created_by, base_layer)
SELECT i.id, l, 'sha256:l' || l || md5(i.id::text), 'sha256:d' || l || md5(i.id::text), 1000000,
    CASE WHEN l < 2 THEN 'debootstrap' ELSE 'COPY app /app' END, l < 2
FROM images i, generate_series(0, 3) l;

INSERT INTO image_packages (image_id, type, ecosystem, name, version, layer_index)
SELECT i.id, (ARRAY['deb', 'python', 'go-module', 'go-stdlib', 'npm'])[1 + p % 5],
    (ARRAY['Debian:12', 'PyPI', 'Go', 'Go', 'npm'])[1 + p % 5], 'pkg' || p, '1.' || p || '.0', p % 4
FROM images i, generate_series(0, 19) p;

INSERT INTO findings (image_id, package_id, vuln_id, advisory_ids, severity_level, severity_score,
    severity_source, fixed_version, fix_status)
SELECT p.image_id, p.id, 'CVE-2024-' || lpad(((p.id * 7 + f * 13) % 5000)::text, 5, '0'),
    ARRAY['GHSA-' || ((p.id * 7 + f * 13) % 5000)],
    (ARRAY['critical', 'high', 'medium', 'low', 'unknown'])[1 + (p.id + f) % 5],
    CASE WHEN (p.id + f) % 5 = 4 THEN NULL ELSE 9.5 - ((p.id + f) % 5) * 2 END, 'cvss_v3',
    CASE WHEN f % 3 = 0 THEN '' ELSE '2.' || f END,
    CASE WHEN f % 3 = 0 THEN 'no_fix' ELSE 'fixed' END
FROM image_packages p, generate_series(0, 4) f;

UPDATE images i SET critical_count = c.critical, high_count = c.high, medium_count = c.medium,
    low_count = c.low, unknown_count = c.unknown, healthy = (c.critical + c.high = 0)
FROM (
    SELECT image_id,
        count(*) FILTER (WHERE severity_level = 'critical') AS critical,
        count(*) FILTER (WHERE severity_level = 'high') AS high,
        count(*) FILTER (WHERE severity_level = 'medium') AS medium,
        count(*) FILTER (WHERE severity_level = 'low') AS low,
        count(*) FILTER (WHERE severity_level IN ('unknown', 'none')) AS unknown
    FROM findings GROUP BY image_id
) c WHERE c.image_id = i.id;

INSERT INTO advisories (id, feed, content_hash, record, group_key, aliases, summary, details,
    severity_level, severity_source, feed_version_id)
SELECT 'GHSA-' || n, 'Go', 'h' || n, '{"references": [{"type": "WEB", "url": "https://example.test/a"}]}',
    'CVE-2024-' || lpad(n::text, 5, '0'), ARRAY['CVE-2024-' || lpad(n::text, 5, '0')], 'summary ' || n, 'details',
    'high', 'cvss_v3', (SELECT max(id) FROM feed_versions)
FROM generate_series(0, 4999) n;

INSERT INTO scans (registry_id, repository, reference, digest, trigger, state, queued_at, finished_at)
SELECT r.registry_id, r.name, 'v1', i.digest, 'push', CASE WHEN s % 50 = 0 THEN 'failed' ELSE 'done' END,
    now() - (s || ' minutes')::interval, now() - (s || ' minutes')::interval
FROM images i JOIN repositories r ON r.id = i.repository_id, generate_series(1, 2) s;

INSERT INTO assessments (recommendation_id, resource_kind, resource_id, status, severity)
SELECT 'image-vulnerabilities', 'image', id, CASE WHEN healthy THEN 'healthy' ELSE 'unhealthy' END,
    CASE WHEN critical_count > 0 THEN 'critical' WHEN high_count > 0 THEN 'high' ELSE 'medium' END
FROM images;

ANALYZE;
