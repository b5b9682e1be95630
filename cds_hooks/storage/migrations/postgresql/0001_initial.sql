-- Same tables as SQLite's 0001; identity keys and double precision instead of SQLite's affinities.
CREATE TABLE IF NOT EXISTS feedback (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    service_id TEXT NOT NULL,
    card TEXT NOT NULL,
    outcome TEXT NOT NULL,
    outcome_timestamp TEXT NOT NULL,
    accepted_suggestions TEXT,
    override_reason TEXT,
    received_at TEXT NOT NULL,
    UNIQUE (service_id, card, outcome, outcome_timestamp)
);
CREATE TABLE IF NOT EXISTS audit (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recorded_at TEXT NOT NULL,
    hook_instance TEXT,
    service_id TEXT NOT NULL,
    issuer TEXT,
    patient_pseudonym TEXT,
    finding_codes TEXT NOT NULL,
    knowledge_version TEXT,
    latency_ms DOUBLE PRECISION NOT NULL,
    status_code INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS seen_jti (
    iss TEXT NOT NULL,
    jti TEXT NOT NULL,
    expires_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (iss, jti)
);
CREATE INDEX IF NOT EXISTS seen_jti_expiry ON seen_jti (expires_at);
