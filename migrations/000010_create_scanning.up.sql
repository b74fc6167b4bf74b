-- Registries, the images found in them, their inventories and findings.

CREATE TABLE registries (
    id               bigserial PRIMARY KEY,
    name             text NOT NULL UNIQUE,
    url              text NOT NULL,
    insecure_http    boolean NOT NULL DEFAULT false,
    ca_bundle        text NOT NULL DEFAULT '',
    auth_kind        text NOT NULL DEFAULT 'none',
    -- JSON credentials sealed with PALISADE_SECRET_KEY (internal/secrets).
    credentials      bytea,
    include_patterns text[] NOT NULL DEFAULT '{}',
    exclude_patterns text[] NOT NULL DEFAULT '{}',
    scan_on_push     boolean NOT NULL DEFAULT true,
    -- Catalog polling for registries that cannot call out; NULL is off.
    poll_interval    interval,
    last_polled_at   timestamptz,
    -- The webhook URL carries the token; the sealed secret authenticates.
    webhook_token    text NOT NULL UNIQUE,
    webhook_secret   bytea NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT auth_kind_known CHECK (auth_kind IN ('none', 'basic', 'bearer', 'dockerconfig'))
);

CREATE TABLE repositories (
    id          bigserial PRIMARY KEY,
    registry_id bigint NOT NULL REFERENCES registries (id) ON DELETE CASCADE,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (registry_id, name)
);

-- One row per platform image, by manifest digest. An index's digest is kept
-- beside the platform image it led to.
CREATE TABLE images (
    id              bigserial PRIMARY KEY,
    repository_id   bigint NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    digest          text NOT NULL,
    index_digest    text NOT NULL DEFAULT '',
    platform        text NOT NULL DEFAULT '',
    media_type      text NOT NULL DEFAULT '',
    config_digest   text NOT NULL DEFAULT '',
    size_bytes      bigint NOT NULL DEFAULT 0,
    os_id           text NOT NULL DEFAULT '',
    os_version      text NOT NULL DEFAULT '',
    os_name         text NOT NULL DEFAULT '',
    -- NULL until the first scan finishes.
    healthy         boolean,
    scanned_at      timestamptz,
    feed_version_id bigint REFERENCES feed_versions (id),
    critical_count  integer NOT NULL DEFAULT 0,
    high_count      integer NOT NULL DEFAULT 0,
    medium_count    integer NOT NULL DEFAULT 0,
    low_count       integer NOT NULL DEFAULT 0,
    unknown_count   integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (repository_id, digest)
);

CREATE INDEX images_digest_idx ON images (digest);

-- Where each tag points now, and every digest it pointed to before.
CREATE TABLE tags (
    repository_id bigint NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    name          text NOT NULL,
    digest        text NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (repository_id, name)
);

CREATE TABLE tag_history (
    id            bigserial PRIMARY KEY,
    repository_id bigint NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    name          text NOT NULL,
    digest        text NOT NULL,
    seen_at       timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX tag_history_tag_idx ON tag_history (repository_id, name, seen_at DESC);

CREATE TABLE image_layers (
    image_id   bigint NOT NULL REFERENCES images (id) ON DELETE CASCADE,
    idx        integer NOT NULL,
    digest     text NOT NULL,
    diff_id    text NOT NULL,
    size_bytes bigint NOT NULL DEFAULT 0,
    created_by text NOT NULL DEFAULT '',
    base_layer boolean NOT NULL DEFAULT false,
    PRIMARY KEY (image_id, idx)
);

-- The per-layer inventory, keyed by the uncompressed layer digest, so a
-- layer shared by many images is downloaded and read once.
CREATE TABLE layer_analyses (
    diff_id     text PRIMARY KEY,
    analysis    jsonb NOT NULL,
    analyzed_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE image_packages (
    id             bigserial PRIMARY KEY,
    image_id       bigint NOT NULL REFERENCES images (id) ON DELETE CASCADE,
    type           text NOT NULL,
    ecosystem      text NOT NULL,
    name           text NOT NULL,
    version        text NOT NULL,
    source_name    text NOT NULL DEFAULT '',
    source_version text NOT NULL DEFAULT '',
    purl           text NOT NULL DEFAULT '',
    -- Files the package was found in; a Go toolchain used by several
    -- binaries is one package with several paths.
    paths          text[] NOT NULL DEFAULT '{}',
    layer_index    integer NOT NULL DEFAULT 0,
    layer_diff_id  text NOT NULL DEFAULT ''
);

CREATE INDEX image_packages_image_idx ON image_packages (image_id);

CREATE TABLE findings (
    id              bigserial PRIMARY KEY,
    image_id        bigint NOT NULL REFERENCES images (id) ON DELETE CASCADE,
    package_id      bigint NOT NULL REFERENCES image_packages (id) ON DELETE CASCADE,
    -- The vulnerability: one group per problem, whichever records describe it.
    vuln_id         text NOT NULL,
    advisory_ids    text[] NOT NULL,
    aliases         text[] NOT NULL DEFAULT '{}',
    summary         text NOT NULL DEFAULT '',
    severity_level  text NOT NULL,
    severity_score  real,
    severity_source text NOT NULL,
    fixed_version   text NOT NULL DEFAULT '',
    fix_status      text NOT NULL,
    status          text NOT NULL DEFAULT 'open',
    first_seen_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at    timestamptz NOT NULL DEFAULT now(),
    resolved_at     timestamptz,
    feed_version_id bigint REFERENCES feed_versions (id),
    CONSTRAINT finding_status_known CHECK (status IN ('open', 'fixed', 'withdrawn')),
    CONSTRAINT finding_severity_known CHECK (severity_level IN ('critical', 'high', 'medium', 'low', 'none', 'unknown')),
    UNIQUE (package_id, vuln_id)
);

CREATE INDEX findings_image_idx ON findings (image_id, status);
CREATE INDEX findings_vuln_idx ON findings (vuln_id);

CREATE TABLE scans (
    id            bigserial PRIMARY KEY,
    registry_id   bigint REFERENCES registries (id) ON DELETE CASCADE,
    repository    text NOT NULL,
    reference     text NOT NULL,
    digest        text NOT NULL DEFAULT '',
    trigger       text NOT NULL,
    state         text NOT NULL DEFAULT 'queued',
    reason        text NOT NULL DEFAULT '',
    attempts      integer NOT NULL DEFAULT 0,
    job_id        bigint,
    queued_at     timestamptz NOT NULL DEFAULT now(),
    started_at    timestamptz,
    finished_at   timestamptz,
    CONSTRAINT scan_state_known CHECK (state IN ('queued', 'running', 'done', 'failed')),
    CONSTRAINT scan_trigger_known CHECK (trigger IN ('push', 'poll', 'manual', 'tag_moved', 'cli'))
);

CREATE INDEX scans_state_idx ON scans (state, queued_at DESC);
CREATE INDEX scans_registry_idx ON scans (registry_id, queued_at DESC);

-- Recommendation assessments per resource (images now; hosts and
-- clusters later). The catalogue itself lives in code (internal/recommend).
CREATE TABLE assessments (
    id                bigserial PRIMARY KEY,
    recommendation_id text NOT NULL,
    resource_kind     text NOT NULL,
    resource_id       bigint NOT NULL,
    status            text NOT NULL,
    severity          text NOT NULL,
    details           jsonb NOT NULL DEFAULT '{}',
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT assessment_status_known CHECK (status IN ('healthy', 'unhealthy', 'not_applicable')),
    UNIQUE (recommendation_id, resource_kind, resource_id)
);
