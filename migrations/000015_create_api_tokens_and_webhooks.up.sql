-- API tokens for scripts and pipelines, and outgoing webhooks with the log
-- of every delivery attempt.

-- A token is "pal_" followed by 43 base64url characters (256 random
-- bits). Only its SHA-256 is stored, so a database dump holds nothing a
-- client could send; prefix keeps the first characters so people can
-- tell their tokens apart. Revoking sets revoked_at; the row stays for
-- the audit trail.
CREATE TABLE api_tokens (
    id                 bigserial PRIMARY KEY,
    name               text NOT NULL,
    prefix             text NOT NULL,
    token_hash         bytea NOT NULL UNIQUE,
    role               text NOT NULL,
    created_by_user_id bigint REFERENCES users (id) ON DELETE SET NULL,
    -- Kept as it was, so the list stays readable after the user goes.
    created_by_name    text NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    -- NULL never expires.
    expires_at         timestamptz,
    -- Written at most once a minute per token.
    last_used_at       timestamptz,
    revoked_at         timestamptz,
    CONSTRAINT api_token_hash_sha256 CHECK (octet_length(token_hash) = 32),
    CONSTRAINT api_token_role_known CHECK (role IN ('viewer', 'operator', 'admin')),
    CONSTRAINT api_token_name_length CHECK (char_length(btrim(name)) BETWEEN 1 AND 100),
    CONSTRAINT api_token_expires_after_creation CHECK (expires_at IS NULL OR expires_at > created_at)
);

CREATE INDEX api_tokens_created_idx ON api_tokens (created_at DESC, id DESC);

-- An outgoing webhook. The secret signs every payload (HMAC-SHA256) and is
-- stored sealed with PALISADE_SECRET_KEY (internal/secrets), as it must be
-- read back to sign.
CREATE TABLE webhooks (
    id              bigserial PRIMARY KEY,
    name            text NOT NULL,
    url             text NOT NULL,
    secret          bytea NOT NULL,
    events          text[] NOT NULL,
    format          text NOT NULL DEFAULT 'json',
    enabled         boolean NOT NULL DEFAULT true,
    created_by_name text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT webhook_format_known CHECK (format IN ('json', 'slack')),
    CONSTRAINT webhook_name_length CHECK (char_length(btrim(name)) BETWEEN 1 AND 100),
    CONSTRAINT webhook_events_present CHECK (cardinality(events) > 0)
);

-- One event for one webhook. uuid travels in the X-Palisade-Delivery
-- header, so receivers can drop a repeat; the body is kept as it was first
-- signed, so every attempt sends the same bytes. state: pending until a
-- 2xx (delivered) or the last attempt (failed).
CREATE TABLE webhook_deliveries (
    id           bigserial PRIMARY KEY,
    webhook_id   bigint NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    uuid         uuid NOT NULL UNIQUE,
    event        text NOT NULL,
    body         bytea NOT NULL,
    state        text NOT NULL DEFAULT 'pending',
    attempts     integer NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL DEFAULT now(),
    delivered_at timestamptz,
    CONSTRAINT webhook_delivery_state_known CHECK (state IN ('pending', 'delivered', 'failed'))
);

CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, id DESC);

-- Every attempt of a delivery: the status code (NULL when no answer came),
-- the error, and how long it took.
CREATE TABLE webhook_attempts (
    id          bigserial PRIMARY KEY,
    delivery_id bigint NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt     integer NOT NULL,
    started_at  timestamptz NOT NULL,
    status_code integer,
    error       text NOT NULL DEFAULT '',
    duration_ms integer NOT NULL
);

CREATE INDEX webhook_attempts_delivery_idx ON webhook_attempts (delivery_id, attempt);
