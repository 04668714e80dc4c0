-- Revoked capability blocks and bearer tokens, kept like the records before
-- them: the idempotency key is the kind and the credential's id, so a
-- credential is revoked once.
CREATE TABLE revocations (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    idempotency_key TEXT NOT NULL UNIQUE,
    recorded_at_unix_ms BIGINT NOT NULL,
    body BYTEA NOT NULL
);
