from django.db import migrations

# Trigram index serving the owner-name search of the list, accent-insensitively.
FORWARD = """
CREATE OR REPLACE FUNCTION zlv_unaccent(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$;
CREATE INDEX IF NOT EXISTS owner_full_name_trgm_idx
    ON housing_owner USING gin (upper(zlv_unaccent(full_name)) gin_trgm_ops);
"""
BACKWARD = """
DROP INDEX IF EXISTS owner_full_name_trgm_idx;
DROP FUNCTION IF EXISTS zlv_unaccent(text);
"""


class Migration(migrations.Migration):
    dependencies = [("housing", "0003_import_indexes")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
