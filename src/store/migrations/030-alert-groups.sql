-- Alert storms: related alerts (same service, or same Alertmanager group) within a window join one investigation.
ALTER TABLE vigil.investigations ADD COLUMN IF NOT EXISTS group_key text;
ALTER TABLE vigil.investigations ADD COLUMN IF NOT EXISTS alert_class text;
CREATE INDEX IF NOT EXISTS investigations_group_idx ON vigil.investigations (group_key, created_at);
CREATE INDEX IF NOT EXISTS investigations_class_idx ON vigil.investigations (alert_class, created_at);

-- Every alert attached to an investigation: the one that started it and those grouped into it.
CREATE TABLE IF NOT EXISTS vigil.investigation_alerts (
  investigation_id text NOT NULL REFERENCES vigil.investigations (id) ON DELETE CASCADE,
  dedupe_key       text NOT NULL,
  alert            jsonb NOT NULL,
  reason           text NOT NULL,
  attached_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (investigation_id, dedupe_key)
);
CREATE INDEX IF NOT EXISTS investigation_alerts_dedupe_idx ON vigil.investigation_alerts (dedupe_key);
