-- The cards each hook call returned, as [[uuid, finding code], ...]: joins feedback to finding codes
-- for `cml-cds report`. No patient data.
ALTER TABLE audit ADD COLUMN cards TEXT NOT NULL DEFAULT '[]';
CREATE INDEX IF NOT EXISTS audit_recorded_at ON audit (recorded_at);
CREATE INDEX IF NOT EXISTS feedback_card ON feedback (card);
