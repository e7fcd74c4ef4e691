"""The employee's history leaves out the level copied from the grade ledger.

`current_level` and `current_level_since` are refreshed from the ledger, whose
entries record who and when; in the employee's history they only showed up as
changed by whoever next edited the row (common.audit.DERIVED_FIELDS).
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('grades', '0013_history_book'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='historicalemployee',
            name='current_level',
        ),
        migrations.RemoveField(
            model_name='historicalemployee',
            name='current_level_since',
        ),
    ]
