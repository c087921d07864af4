-- Every row belongs to a workspace; this one exists from the start and is what clients use by default.
INSERT INTO "workspaces" ("id", "slug", "name", "description")
VALUES ('00000000-0000-4000-8000-000000000001', 'default', 'Default', 'The workspace every installation starts with')
ON CONFLICT DO NOTHING;
