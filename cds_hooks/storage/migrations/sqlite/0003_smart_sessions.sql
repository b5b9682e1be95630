-- SMART app launches ('pending': waiting for the EHR's redirect back) and signed-in sessions ('session'),
-- shared by workers and replicas. `id` is the SHA-256 of the cookie value (never the value itself);
-- `payload` is AES-256-GCM ciphertext (base64) of the launch or session, access token included;
-- `client` an HMAC of the client address of a pending launch (NULL for a session): the per-address cap.
CREATE TABLE IF NOT EXISTS smart_session (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    client TEXT,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    payload TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS smart_session_expiry ON smart_session (expires_at);
CREATE INDEX IF NOT EXISTS smart_session_client ON smart_session (client, created_at);
