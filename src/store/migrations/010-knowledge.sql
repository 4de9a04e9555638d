-- Knowledge room (knowledge/): two spaces kept apart by construction.
--
-- Customer context: everything about one tenant's systems, keyed by tenant so a tenant can be deleted whole.
-- The pseudonym map (pseudonym -> original name) lives here, never next to the patterns.
CREATE TABLE IF NOT EXISTS vigil.ctx_services (
  tenant      text NOT NULL,
  name        text NOT NULL,
  data        jsonb NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, name)
);
CREATE TABLE IF NOT EXISTS vigil.ctx_topology (
  tenant      text PRIMARY KEY,
  topology    jsonb NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS vigil.ctx_signal_overrides (
  tenant      text NOT NULL,
  signal      text NOT NULL,
  data        jsonb NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, signal)
);
CREATE TABLE IF NOT EXISTS vigil.ctx_runbooks (
  tenant        text NOT NULL,
  id            text NOT NULL,
  title         text NOT NULL,
  services      jsonb NOT NULL DEFAULT '[]',
  alerts        jsonb NOT NULL DEFAULT '[]',
  front_matter  jsonb NOT NULL DEFAULT '{}',
  body          text NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, id)
);
CREATE TABLE IF NOT EXISTS vigil.ctx_incidents (
  tenant       text NOT NULL,
  id           text NOT NULL,
  occurred_at  timestamptz NOT NULL,
  service      text,
  data         jsonb NOT NULL,
  PRIMARY KEY (tenant, id)
);
CREATE INDEX IF NOT EXISTS ctx_incidents_service_idx ON vigil.ctx_incidents (tenant, service, occurred_at);
CREATE TABLE IF NOT EXISTS vigil.ctx_pseudonyms (
  tenant      text NOT NULL,
  pseudonym   text NOT NULL,
  kind        text NOT NULL,
  original    text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, pseudonym)
);

-- Learned patterns: generalized and anonymized, with no tenant column on purpose. Only approved rows are used.
CREATE TABLE IF NOT EXISTS vigil.patterns (
  id                text PRIMARY KEY,
  fingerprint       text NOT NULL UNIQUE,
  status            text NOT NULL DEFAULT 'proposed' CHECK (status IN ('proposed', 'approved', 'rejected')),
  alertname         text NOT NULL,
  root_cause_class  text NOT NULL,
  pattern           jsonb NOT NULL,
  occurrences       integer NOT NULL DEFAULT 1,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  reviewed_by       text,
  reviewed_at       timestamptz
);
CREATE INDEX IF NOT EXISTS patterns_status_idx ON vigil.patterns (status, alertname);
CREATE TABLE IF NOT EXISTS vigil.pattern_reviews (
  id          bigserial PRIMARY KEY,
  pattern_id  text NOT NULL REFERENCES vigil.patterns (id) ON DELETE CASCADE,
  action      text NOT NULL CHECK (action IN ('propose', 'approve', 'reject', 'edit', 'import')),
  reviewer    text,
  reason      text,
  patch       jsonb,
  at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS pattern_reviews_pattern_idx ON vigil.pattern_reviews (pattern_id, at);
