-- Advisory data imported from OSV feeds. One feed version row per import
-- of one source, so every finding can say which data it was computed from.
CREATE TABLE feed_versions (
    id           bigserial PRIMARY KEY,
    source       text NOT NULL,
    digest       text NOT NULL,
    ecosystems   text[] NOT NULL,
    full_feed    boolean NOT NULL,
    imported_at  timestamptz NOT NULL DEFAULT now(),
    records_read integer NOT NULL DEFAULT 0,
    added        integer NOT NULL DEFAULT 0,
    changed      integer NOT NULL DEFAULT 0,
    unchanged    integer NOT NULL DEFAULT 0,
    retired      integer NOT NULL DEFAULT 0,
    rejected     integer NOT NULL DEFAULT 0,
    problems     jsonb NOT NULL DEFAULT '[]'
);

CREATE INDEX feed_versions_imported_at_idx ON feed_versions (imported_at DESC);

-- feed is the base ecosystem the record was published under (Go, Debian),
-- the unit in which a full feed retires records that vanished from it.
CREATE TABLE advisories (
    id               text PRIMARY KEY,
    feed             text NOT NULL,
    content_hash     text NOT NULL,
    record           jsonb NOT NULL,
    group_key        text NOT NULL,
    aliases          text[] NOT NULL DEFAULT '{}',
    summary          text NOT NULL DEFAULT '',
    details          text NOT NULL DEFAULT '',
    published_at     timestamptz,
    modified_at      timestamptz,
    withdrawn_at     timestamptz,
    severity_level   text NOT NULL,
    severity_score   real,
    severity_vector  text NOT NULL DEFAULT '',
    severity_source  text NOT NULL,
    retired_at       timestamptz,
    feed_version_id  bigint NOT NULL REFERENCES feed_versions (id),
    CONSTRAINT severity_level_known CHECK (severity_level IN ('critical', 'high', 'medium', 'low', 'none', 'unknown'))
);

CREATE INDEX advisories_feed_idx ON advisories (feed);
CREATE INDEX advisories_group_key_idx ON advisories (group_key);
CREATE INDEX advisories_aliases_idx ON advisories USING gin (aliases);

-- Every package a record names, for lookup by (ecosystem, name). The
-- ecosystem keeps its release ("Debian:12"); names are normalised the way
-- the matcher normalises them.
CREATE TABLE advisory_packages (
    advisory_id text NOT NULL REFERENCES advisories (id) ON DELETE CASCADE,
    ecosystem   text NOT NULL,
    name        text NOT NULL,
    PRIMARY KEY (advisory_id, ecosystem, name)
);

CREATE INDEX advisory_packages_lookup_idx ON advisory_packages (ecosystem, name);
