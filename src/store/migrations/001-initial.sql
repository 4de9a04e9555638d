-- Alerts as received, before anything else happens to them: nothing is acknowledged before it is stored here.
CREATE TABLE IF NOT EXISTS vigil.alerts (
  id            bigserial PRIMARY KEY,
  fingerprint   text NOT NULL,
  source        text NOT NULL,
  alert         jsonb NOT NULL,
  received_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS alerts_fingerprint_idx ON vigil.alerts (fingerprint);

-- One investigation per firing of an alert: the dedupe key (fingerprint + start time, or a Slack thread) is unique,
-- so a re-sent alert finds its existing investigation instead of starting a second one.
CREATE TABLE IF NOT EXISTS vigil.investigations (
  id                text PRIMARY KEY,
  dedupe_key        text NOT NULL UNIQUE,
  fingerprint       text NOT NULL,
  alertname         text NOT NULL,
  service           text,
  source            text NOT NULL,
  status            text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
  alert             jsonb NOT NULL,
  result            jsonb,
  error             text,
  attempts          integer NOT NULL DEFAULT 0,
  slack_channel     text,
  slack_thread_ts   text,
  slack_message_ts  text,
  created_at        timestamptz NOT NULL DEFAULT now(),
  started_at        timestamptz,
  finished_at       timestamptz
);
CREATE INDEX IF NOT EXISTS investigations_status_idx ON vigil.investigations (status, created_at);

-- Slack delivers an event again when it does not see a fast ack; each event id is handled once.
CREATE TABLE IF NOT EXISTS vigil.slack_events (
  event_id     text PRIMARY KEY,
  received_at  timestamptz NOT NULL DEFAULT now()
);
