-- Docker hosts watched by palisade-agent: the one-time tokens that enrol
-- them, each host's own credential, the snapshots they send, the CIS
-- Docker Benchmark results of the latest snapshot, and the controls an
-- operator exempted on a host.

-- A host exists from its enrolment. Its credential is stored as the
-- SHA-256 of a 256-bit random secret, so a database dump holds nothing an
-- agent could send; revoking sets it to NULL. The summary columns describe
-- the latest snapshot and are rewritten with every evaluation.
CREATE TABLE hosts (
    id                    bigserial PRIMARY KEY,
    name                  text NOT NULL,
    credential_hash       bytea UNIQUE,
    enrolled_at           timestamptz NOT NULL DEFAULT now(),
    credential_revoked_at timestamptz,
    agent_version         text NOT NULL DEFAULT '',
    docker_version        text NOT NULL DEFAULT '',
    os                    text NOT NULL DEFAULT '',
    kernel                text NOT NULL DEFAULT '',
    -- NULL when the agent could not list them.
    image_count           integer,
    container_count       integer,
    -- Controls, and control × resource results, that fail and are not
    -- exempt; and failed results an exemption covers.
    failing_controls      integer NOT NULL DEFAULT 0,
    failing_results       integer NOT NULL DEFAULT 0,
    exempt_results        integer NOT NULL DEFAULT 0,
    -- When the server received the latest snapshot, and when the agent
    -- says it collected it. NULL until the first snapshot.
    last_snapshot_at      timestamptz,
    last_collected_at     timestamptz,
    CONSTRAINT credential_hash_sha256 CHECK (octet_length(credential_hash) = 32),
    CONSTRAINT host_name_length CHECK (char_length(name) BETWEEN 1 AND 253)
);

-- Made by an admin (console or `palisade hosts token`), spent by one
-- enrolment. Only the SHA-256 of the token is stored.
CREATE TABLE host_enrolment_tokens (
    id         bigserial PRIMARY KEY,
    token_hash bytea NOT NULL UNIQUE,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    host_id    bigint REFERENCES hosts (id) ON DELETE SET NULL,
    CONSTRAINT token_hash_sha256 CHECK (octet_length(token_hash) = 32),
    CONSTRAINT token_expires_after_creation CHECK (expires_at > created_at)
);

CREATE INDEX host_enrolment_tokens_pending ON host_enrolment_tokens (expires_at) WHERE used_at IS NULL;

-- The latest snapshot of each host and a few before it (internal/hosts
-- prunes the rest), as the agent sent them after validation.
CREATE TABLE host_snapshots (
    id            bigserial PRIMARY KEY,
    host_id       bigint NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
    collected_at  timestamptz NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now(),
    agent_version text NOT NULL DEFAULT '',
    size_bytes    integer NOT NULL,
    snapshot      jsonb NOT NULL
);

CREATE INDEX host_snapshots_host_idx ON host_snapshots (host_id, id DESC);

-- One row per control and resource (the host, a container, an image) of
-- the latest evaluation, in benchmark order (position). Exempt results
-- keep the status that was found.
CREATE TABLE host_results (
    host_id       bigint NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
    position      integer NOT NULL,
    snapshot_id   bigint NOT NULL REFERENCES host_snapshots (id) ON DELETE CASCADE,
    control_id    text NOT NULL,
    section       text NOT NULL,
    title         text NOT NULL,
    level         smallint NOT NULL,
    resource_kind text NOT NULL,
    resource_id   text NOT NULL DEFAULT '',
    resource_name text NOT NULL DEFAULT '',
    status        text NOT NULL,
    evidence      text NOT NULL,
    remediation   text NOT NULL,
    exempt        boolean NOT NULL DEFAULT false,
    justification text NOT NULL DEFAULT '',
    PRIMARY KEY (host_id, position),
    CONSTRAINT host_result_status_known CHECK (status IN ('pass', 'fail', 'info', 'manual', 'not_applicable')),
    CONSTRAINT host_result_kind_known CHECK (resource_kind IN ('host', 'container', 'image'))
);

CREATE INDEX host_results_status_idx ON host_results (host_id, status);

-- A control waived on one host: for every resource (resource ''), for the
-- host itself ('host'), or for one container (name or ID) or image (ID or
-- tag), as internal/hostbench's Exemption reads it.
CREATE TABLE host_exemptions (
    id                 bigserial PRIMARY KEY,
    host_id            bigint NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
    control_id         text NOT NULL,
    resource           text NOT NULL DEFAULT '',
    justification      text NOT NULL,
    created_by_user_id bigint REFERENCES users (id) ON DELETE SET NULL,
    created_by_name    text NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (host_id, control_id, resource),
    CONSTRAINT host_exemption_justification_length CHECK (char_length(btrim(justification)) BETWEEN 1 AND 2000)
);
