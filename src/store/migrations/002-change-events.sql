-- Change events that CI/CD posts to POST /webhooks/changes (deploys, config changes), read by investigations.
CREATE TABLE IF NOT EXISTS vigil.change_events (
  id          bigserial PRIMARY KEY,
  t           timestamptz NOT NULL,
  service     text,
  change      jsonb NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS change_events_t_idx ON vigil.change_events (t);
