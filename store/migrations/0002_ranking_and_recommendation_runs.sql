-- Ranking and recommendation runs, kept like the records before them.
CREATE TABLE ranking_runs (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    idempotency_key TEXT NOT NULL UNIQUE,
    recorded_at_unix_ms BIGINT NOT NULL,
    body BYTEA NOT NULL
);

CREATE TABLE recommendation_runs (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    idempotency_key TEXT NOT NULL UNIQUE,
    recorded_at_unix_ms BIGINT NOT NULL,
    body BYTEA NOT NULL
);
