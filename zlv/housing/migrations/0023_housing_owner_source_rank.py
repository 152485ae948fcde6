from django.db import migrations, models

# Rights that came from a file (fiscal ids filled in) and whose rank no agent has changed: their
# rank is still the file's. Rights an agent ranked stay NULL, as if entered by hand: the next
# import keeps their rank and only records what its file says.
BACKFILL = """
    UPDATE housing_housingowner ho SET source_rank = ho.rank
     WHERE ho.rank >= 0 AND (ho.idprodroit <> '' OR ho.idprocpte <> '')
       AND NOT EXISTS (
           SELECT 1 FROM housing_event e JOIN accounts_user u ON u.id = e.created_by_id
            WHERE e.housing_id = ho.housing_id AND e.owner_id = ho.owner_id AND NOT u.is_system
              AND e.kind IN ('housing:owner-attached', 'housing:owner-updated'))
"""


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("housing", "0022_housing_address_search_street_words"),
    ]

    operations = [
        migrations.AddField(
            model_name="housingowner",
            name="source_rank",
            field=models.SmallIntegerField(
                blank=True, null=True, verbose_name="rang dans le dernier fichier LOVAC"
            ),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
    ]
