-- The (redacted) tool results an investigation saw, so `vigil fixture export` can turn it into a replayable fixture.
CREATE TABLE IF NOT EXISTS vigil.investigation_recordings (
  investigation_id text PRIMARY KEY REFERENCES vigil.investigations (id) ON DELETE CASCADE,
  recording        jsonb NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now()
);
