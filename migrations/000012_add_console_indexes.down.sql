DROP TABLE finding_counts_daily;
CREATE INDEX findings_vuln_idx ON findings (vuln_id);
DROP INDEX findings_vuln_status_idx;
DROP INDEX images_scanned_at_idx;
DROP INDEX images_worst_idx;
DROP INDEX scans_finished_at_idx;
DROP INDEX scans_target_idx;
DROP INDEX tags_digest_idx;
