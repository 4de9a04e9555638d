-- The versions that produced an investigation (src/quality/versions.ts): Vigil, strategy folder hashes, prompt
-- hashes, model. Kept beside, not inside, vigil.investigations so the quality loop needs no change to that table.
CREATE TABLE IF NOT EXISTS vigil.investigation_versions (
  investigation_id  text PRIMARY KEY,
  versions          jsonb NOT NULL,
  recorded_at       timestamptz NOT NULL DEFAULT now()
);
