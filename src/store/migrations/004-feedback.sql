-- Feedback on investigations from Slack (buttons, 👍/👎, the reason modal) and the web UI. One row per person and
-- target: the same person changing their mind replaces their earlier verdict instead of voting twice. An empty
-- target (strategy '' and service '') is the verdict on the whole investigation; a per-hypothesis verdict names
-- the strategy and the service it blamed. Rows from people outside the allowlist are kept (authorized = false)
-- so reviewers can see them, but nothing learns from them.
CREATE TABLE IF NOT EXISTS vigil.feedback (
  id                      bigserial PRIMARY KEY,
  investigation_id        text NOT NULL REFERENCES vigil.investigations (id) ON DELETE CASCADE,
  user_id                 text NOT NULL,
  source                  text NOT NULL CHECK (source IN ('button', 'reaction', 'modal', 'web')),
  verdict                 text NOT NULL CHECK (verdict IN ('correct', 'partial', 'wrong')),
  reason                  text,
  real_cause_service      text,
  real_cause_description  text,
  target_strategy         text NOT NULL DEFAULT '',
  target_service          text NOT NULL DEFAULT '',
  authorized              boolean NOT NULL,
  created_at              timestamptz NOT NULL DEFAULT now(),
  updated_at              timestamptz NOT NULL DEFAULT now(),
  UNIQUE (investigation_id, user_id, target_strategy, target_service)
);
CREATE INDEX IF NOT EXISTS feedback_investigation_idx ON vigil.feedback (investigation_id);

-- Summary messages are found again by their ts when someone reacts to them.
CREATE INDEX IF NOT EXISTS investigations_slack_message_idx ON vigil.investigations (slack_channel, slack_message_ts);
