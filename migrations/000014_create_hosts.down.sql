DROP TABLE IF EXISTS host_exemptions;
DROP TABLE IF EXISTS host_results;
DROP TABLE IF EXISTS host_snapshots;
DROP TABLE IF EXISTS host_enrolment_tokens;
DROP TABLE IF EXISTS hosts;
DELETE FROM assessments WHERE resource_kind = 'host';
