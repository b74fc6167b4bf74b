DROP INDEX IF EXISTS audit_log_action;
DROP TABLE IF EXISTS exemptions;
