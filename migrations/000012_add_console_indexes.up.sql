-- What the console's pages need to stay fast with 10,000 images and a
-- million findings, and the history its overview draws.

-- The tags pointing at an image, looked up per row of every image list.
CREATE INDEX tags_digest_idx ON tags (repository_id, digest);

-- The latest scan of one image (image page, live status).
CREATE INDEX scans_target_idx ON scans (registry_id, repository, digest, id DESC);

-- When the last scan finished: the live status partials compare it with
-- what the page last saw to know that results changed.
CREATE INDEX scans_finished_at_idx ON scans (finished_at) WHERE finished_at IS NOT NULL;

-- The image list's two orders: worst first, and most recently scanned.
CREATE INDEX images_worst_idx ON images
    (critical_count DESC, high_count DESC, medium_count DESC, low_count DESC, unknown_count DESC, id);
CREATE INDEX images_scanned_at_idx ON images (scanned_at DESC NULLS LAST, id DESC);

-- The affected images of one vulnerability, open ones first.
CREATE INDEX findings_vuln_status_idx ON findings (vuln_id, status, image_id);
DROP INDEX findings_vuln_idx;

-- One row per day (UTC) with the open findings of every scanned image by
-- severity, summed from the images' counts. A periodic job
-- (internal/trend) rewrites today's row, so each day keeps the last state
-- seen that day; the overview's trend chart reads these rows.
CREATE TABLE finding_counts_daily (
    day              date PRIMARY KEY,
    critical         integer NOT NULL,
    high             integer NOT NULL,
    medium           integer NOT NULL,
    low              integer NOT NULL,
    unknown          integer NOT NULL,
    images           integer NOT NULL,
    unhealthy_images integer NOT NULL,
    recorded_at      timestamptz NOT NULL DEFAULT now()
);
