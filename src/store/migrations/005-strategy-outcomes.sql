-- What each strategy achieved in an investigation people confirmed: whether its top hypothesis matched the
-- confirmed cause (credit 1, 0.5 for a "Not quite", 0; NULL when the feedback cannot tell), and what it cost.
-- Recomputed whenever the investigation's authorized feedback changes. The alert class is derived from the
-- investigation's alert when statistics are read, so changing VIGIL_ALERT_CLASS_LABELS needs no migration.
CREATE TABLE IF NOT EXISTS vigil.strategy_outcomes (
  investigation_id  text NOT NULL REFERENCES vigil.investigations (id) ON DELETE CASCADE,
  strategy          text NOT NULL,
  credit            double precision CHECK (credit IS NULL OR (credit >= 0 AND credit <= 1)),
  top_service       text,
  confirmed_service text,
  duration_ms       integer NOT NULL DEFAULT 0,
  tool_calls        integer NOT NULL DEFAULT 0,
  tokens            integer NOT NULL DEFAULT 0,
  occurred_at       timestamptz NOT NULL,
  computed_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (investigation_id, strategy)
);
CREATE INDEX IF NOT EXISTS strategy_outcomes_occurred_idx ON vigil.strategy_outcomes (occurred_at);
