-- Anonymized facet records of finished investigations (src/quality/facets.ts), the input of the insights clusters.
-- Only typed, anonymized fields live here (classes, strategy names, data source kinds, criterion ids); never alert
-- labels, service names or free text. The tenant is kept so small clusters stay inside it.
CREATE TABLE IF NOT EXISTS vigil.investigation_facets (
  investigation_id  text PRIMARY KEY,
  tenant            text NOT NULL,
  facet             jsonb NOT NULL,
  finished_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS investigation_facets_finished_idx ON vigil.investigation_facets (finished_at);
