"""Mark the levels that start a main grade: Junior, Middle and Senior.

The salary band calculator groups the ladder by main grade; it used to find a
level's main grade in the first word of its code.
"""

from django.db import migrations, models

MAIN_GRADES = ("junior", "middle", "senior")


def mark(apps, schema_editor):
    Level = apps.get_model("grades", "Level")
    Level.objects.using(schema_editor.connection.alias).filter(code__in=MAIN_GRADES).update(is_main_grade=True)


def unmark(apps, schema_editor):
    Level = apps.get_model("grades", "Level")
    Level.objects.using(schema_editor.connection.alias).update(is_main_grade=False)


class Migration(migrations.Migration):

    dependencies = [
        ('grades', '0015_employee_last_failed_defense'),
    ]

    operations = [
        migrations.AddField(
            model_name='historicallevel',
            name='is_main_grade',
            field=models.BooleanField(default=False, help_text='The first level of a main grade; the levels above it up to the next main grade are its inner grades.', verbose_name='main grade'),
        ),
        migrations.AddField(
            model_name='level',
            name='is_main_grade',
            field=models.BooleanField(default=False, help_text='The first level of a main grade; the levels above it up to the next main grade are its inner grades.', verbose_name='main grade'),
        ),
        migrations.RunPython(mark, unmark),
    ]
