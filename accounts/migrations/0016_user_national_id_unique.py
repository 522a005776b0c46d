"""One account per RPPS or ADELI number (an empty identifier is no identifier).

Two accounts with the same number would make the strong sign-in ambiguous: it finds the
account by the number its identity provider gives. The référents' form refuses a number
already recorded; this index is there for the race between two such edits.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0015_referent_spelling'),
        ('auth', '0012_alter_user_first_name_max_length'),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='user',
            constraint=models.UniqueConstraint(condition=models.Q(('national_id', ''), _negated=True), fields=('national_id',), name='user_national_id_unique'),
        ),
    ]
