-- Checklist judgments of finished investigations (src/quality/judges.ts): one row per investigation and criterion.
-- No foreign key to vigil.investigations on purpose: judgments of replayed or exported investigations are stored
-- too, and the quality loop must not block changes to the investigations table. deleteJudgments() removes them.
CREATE TABLE IF NOT EXISTS vigil.judgments (
  investigation_id  text NOT NULL,
  criterion         text NOT NULL,
  -- NULL = not judged (no LLM configured, or its answer was unusable); never guessed.
  passed            boolean,
  reason            text NOT NULL,
  evidence          jsonb NOT NULL DEFAULT '[]'::jsonb,
  alert_class       text NOT NULL,
  tenant            text,
  judged_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (investigation_id, criterion)
);
CREATE INDEX IF NOT EXISTS judgments_criterion_idx ON vigil.judgments (criterion, alert_class);

-- One row per judged investigation: who judged it (model, prompt hashes) and what the judge itself spent,
-- kept apart from the investigation's own LLM usage.
CREATE TABLE IF NOT EXISTS vigil.judge_runs (
  investigation_id  text PRIMARY KEY,
  alert_class       text NOT NULL,
  tenant            text,
  model             text,
  prompts           jsonb NOT NULL DEFAULT '{}'::jsonb,
  usage             jsonb,
  judged_at         timestamptz NOT NULL DEFAULT now()
);
