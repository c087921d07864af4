ALTER TABLE "deployments" ADD COLUMN "policy" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
-- The run policy used to travel in the parameter schema under "x-baton", where a malformed value
-- silently became the defaults. Move each one that was applied (every known field well-typed and
-- within the bounds the server read it with) into "policy", keeping only the known fields, as the
-- server did; one that was never applied stays where it is, so runs keep the defaults they got and
-- the next create or update that sends it is refused naming the field. CASE keeps each cast behind
-- its type check.
UPDATE "deployments" d
SET "policy" = (
      SELECT coalesce(jsonb_object_agg(e.key, e.value), '{}'::jsonb)
      FROM jsonb_each(d."parameter_schema"->'x-baton') e
      WHERE e.key IN ('maxRetries', 'retryDelaySeconds', 'retryBackoff', 'retryJitter', 'timeoutSeconds', 'requirements')
    ),
    "parameter_schema" = d."parameter_schema" - 'x-baton'
WHERE jsonb_typeof(d."parameter_schema") = 'object'
  AND jsonb_typeof(d."parameter_schema"->'x-baton') = 'object'
  AND (CASE WHEN NOT (d."parameter_schema"->'x-baton') ? 'maxRetries' THEN true
            WHEN jsonb_typeof(d."parameter_schema"->'x-baton'->'maxRetries') = 'number'
              THEN ((d."parameter_schema"->'x-baton'->>'maxRetries')::numeric BETWEEN 0 AND 100
                    AND (d."parameter_schema"->'x-baton'->>'maxRetries')::numeric = trunc((d."parameter_schema"->'x-baton'->>'maxRetries')::numeric))
            ELSE false END)
  AND (CASE WHEN NOT (d."parameter_schema"->'x-baton') ? 'retryDelaySeconds' THEN true
            WHEN jsonb_typeof(d."parameter_schema"->'x-baton'->'retryDelaySeconds') = 'number'
              THEN (d."parameter_schema"->'x-baton'->>'retryDelaySeconds')::numeric BETWEEN 0 AND 86400
            ELSE false END)
  AND (CASE WHEN NOT (d."parameter_schema"->'x-baton') ? 'retryBackoff' THEN true
            WHEN jsonb_typeof(d."parameter_schema"->'x-baton'->'retryBackoff') = 'number'
              THEN (d."parameter_schema"->'x-baton'->>'retryBackoff')::numeric BETWEEN 1 AND 10
            ELSE false END)
  AND (CASE WHEN NOT (d."parameter_schema"->'x-baton') ? 'retryJitter' THEN true
            WHEN jsonb_typeof(d."parameter_schema"->'x-baton'->'retryJitter') = 'number'
              THEN (d."parameter_schema"->'x-baton'->>'retryJitter')::numeric BETWEEN 0 AND 1
            ELSE false END)
  AND (CASE WHEN NOT (d."parameter_schema"->'x-baton') ? 'timeoutSeconds' THEN true
            WHEN jsonb_typeof(d."parameter_schema"->'x-baton'->'timeoutSeconds') = 'number'
              THEN (d."parameter_schema"->'x-baton'->>'timeoutSeconds')::numeric > 0
            ELSE false END)
  AND (CASE WHEN NOT (d."parameter_schema"->'x-baton') ? 'requirements' THEN true
            ELSE jsonb_typeof(d."parameter_schema"->'x-baton'->'requirements') = 'object' END);
