"""Indexes for the people list (grades.selectors.people_list), so that a page of it is read
in index order and the database stops at the page instead of sorting everyone.

- user_name_order: the users' names in list order (last name, first name, username), for
  the default sort. auth.User is Django's own model, so the index is added here, by the
  app that needs it, without a change to the model's state.
- employee_level_since: for the sort by time in level.
"""

from django.db import migrations, models

INDEX = models.Index(fields=["last_name", "first_name", "username"], name="user_name_order")


def add_index(apps, schema_editor):
    schema_editor.add_index(apps.get_model("auth", "User"), INDEX)


def remove_index(apps, schema_editor):
    schema_editor.remove_index(apps.get_model("auth", "User"), INDEX)


class Migration(migrations.Migration):

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("grades", "0011_employee_checklist_counts"),
    ]

    operations = [
        # A schema change: MySQL cannot run one inside a transaction.
        migrations.RunPython(add_index, remove_index, atomic=False),
        migrations.AddIndex(
            model_name="employee",
            index=models.Index(fields=["current_level_since", "id"], name="employee_level_since"),
        ),
    ]
