-- A running investigation's worker touches heartbeat_at while it works. A running row whose heartbeat went stale
-- belongs to a dead worker: another replica (or the restarted daemon) may claim it and finish it.
ALTER TABLE vigil.investigations ADD COLUMN IF NOT EXISTS heartbeat_at timestamptz;
