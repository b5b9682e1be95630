-- The tables as they were before versioned migrations (IF NOT EXISTS: an older file adopts version 1).
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY,
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
    id INTEGER PRIMARY KEY,
    recorded_at TEXT NOT NULL,
    hook_instance TEXT,
    service_id TEXT NOT NULL,
    issuer TEXT,
    patient_pseudonym TEXT,
    finding_codes TEXT NOT NULL,
    knowledge_version TEXT,
    latency_ms REAL NOT NULL,
    status_code INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS seen_jti (
    iss TEXT NOT NULL,
    jti TEXT NOT NULL,
    expires_at REAL NOT NULL,
    PRIMARY KEY (iss, jti)
);
CREATE INDEX IF NOT EXISTS seen_jti_expiry ON seen_jti (expires_at);
