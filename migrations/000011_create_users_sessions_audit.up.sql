-- People who signed in through OIDC, their server-side sessions, and the
-- audit log of who did what.

CREATE TABLE users (
    id            bigserial PRIMARY KEY,
    issuer        text NOT NULL,
    subject       text NOT NULL,
    email         text NOT NULL DEFAULT '',
    name          text NOT NULL DEFAULT '',
    -- Mapped from the role claim at the last sign-in or token refresh.
    role          text NOT NULL,
    -- The role claim's values as they arrived, and every ID token claim of
    -- the last sign-in or refresh, so admins can debug the mapping.
    groups        text[] NOT NULL DEFAULT '{}',
    claims        jsonb NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    last_login_at timestamptz,
    UNIQUE (issuer, subject),
    CONSTRAINT role_known CHECK (role IN ('viewer', 'operator', 'admin'))
);

-- A session row is found by the SHA-256 of the cookie's random token, so a
-- database dump does not hold usable cookies. Deleting the row revokes it.
CREATE TABLE sessions (
    id                      bigserial PRIMARY KEY,
    token_hash              bytea NOT NULL UNIQUE,
    user_id                 bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at              timestamptz NOT NULL DEFAULT now(),
    last_seen_at            timestamptz NOT NULL DEFAULT now(),
    -- The absolute timeout, fixed at sign-in.
    expires_at              timestamptz NOT NULL,
    -- Sealed with PALISADE_SECRET_KEY (internal/secrets); NULL when the
    -- provider gave none.
    refresh_token           bytea,
    id_token                bytea,
    -- When the provider's access token runs out: the next request after it
    -- refreshes the claims with the refresh token.
    access_token_expires_at timestamptz,
    source_ip               inet,
    user_agent              text NOT NULL DEFAULT '',
    CONSTRAINT token_hash_sha256 CHECK (octet_length(token_hash) = 32)
);

CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE audit_log (
    id            bigserial PRIMARY KEY,
    created_at    timestamptz NOT NULL DEFAULT now(),
    -- user, token, agent, system, or anonymous (refused sign-ins).
    actor_kind    text NOT NULL,
    actor_user_id bigint REFERENCES users (id) ON DELETE SET NULL,
    -- A name kept as it was, so entries stay readable after the user goes.
    actor_name    text NOT NULL DEFAULT '',
    action        text NOT NULL,
    resource_kind text NOT NULL DEFAULT '',
    resource_id   text NOT NULL DEFAULT '',
    details       jsonb NOT NULL DEFAULT '{}',
    source_ip     inet,
    CONSTRAINT actor_kind_known CHECK (actor_kind IN ('user', 'token', 'agent', 'system', 'anonymous'))
);

CREATE INDEX audit_log_created_at ON audit_log (created_at DESC, id DESC);
CREATE INDEX audit_log_resource ON audit_log (resource_kind, resource_id, created_at DESC);
CREATE INDEX audit_log_actor_user_id ON audit_log (actor_user_id, created_at DESC);
