-- Audit entries and forecast runs. Each record is kept whole as protobuf
-- bytes; the columns beside it are what the store looks records up by.
CREATE TABLE audit_logs (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    idempotency_key TEXT NOT NULL UNIQUE,
    recorded_at_unix_ms BIGINT NOT NULL,
    body BYTEA NOT NULL
);

CREATE TABLE forecast_runs (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    idempotency_key TEXT NOT NULL UNIQUE,
    recorded_at_unix_ms BIGINT NOT NULL,
    body BYTEA NOT NULL
);
