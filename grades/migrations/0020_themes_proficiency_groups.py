"""Themes (categories) become data, requirements gain proficiency, examples and "at least N" groups.

The eight themes the product shipped as fixed choices become rows of Category, with the
English and Russian names the interface showed; Requirement.category becomes a foreign
key to Category.key in the same column, so every requirement keeps its theme as it was
(a theme key found on a requirement but not among the eight, which the old check
constraint ruled out, would become a row of its own named by its key).
"""

import django.core.validators
import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models


# (key, English name, Russian name) in the order the interface listed them.
SHIPPED = [
    ("hard_skill", "Hard skill", "Технические навыки"),
    ("practice", "Engineering practice", "Инженерные практики"),
    ("product", "Product knowledge", "Знание продукта"),
    ("leadership", "Leadership and mentoring", "Лидерство и менторство"),
    ("security", "Security", "Безопасность"),
    ("contribution", "Contribution", "Вклад"),
    ("reading", "Reading", "Литература"),
    ("experience", "Experience", "Опыт"),
]


def create_categories(apps, schema_editor):
    db = schema_editor.connection.alias
    Category = apps.get_model("grades", "Category")
    Requirement = apps.get_model("grades", "Requirement")
    for position, (key, name, name_ru) in enumerate(SHIPPED):
        Category.objects.using(db).get_or_create(
            key=key, defaults={"name": name, "name_ru": name_ru, "position": position}
        )
    known = set(Category.objects.using(db).values_list("key", flat=True))
    used = set(Requirement.objects.using(db).values_list("category", flat=True).distinct())
    for position, key in enumerate(sorted(used - known), start=len(SHIPPED)):
        Category.objects.using(db).create(key=key, name=key, position=position)


def keep_categories(apps, schema_editor):
    """Going back the rows go with their table; the keys stay in the requirements' column."""


class Migration(migrations.Migration):

    dependencies = [
        ('grades', '0019_ladder_required'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Category',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.CharField(max_length=50, unique=True, validators=[django.core.validators.RegexValidator('^[a-z0-9]+(?:[-_][a-z0-9]+)*$', 'Lower-case letters and digits, words joined by hyphens or underscores.')], verbose_name='key')),
                ('name', models.CharField(max_length=100, verbose_name='name')),
                ('name_ru', models.CharField(blank=True, max_length=100, verbose_name='Russian name')),
                ('summary', models.TextField(blank=True, verbose_name='summary')),
                ('position', models.PositiveSmallIntegerField(default=0, verbose_name='position')),
            ],
            options={
                'verbose_name': 'category',
                'verbose_name_plural': 'categories',
                'ordering': ['position', 'key'],
            },
        ),
        migrations.CreateModel(
            name='HistoricalCategory',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('key', models.CharField(db_index=True, max_length=50, validators=[django.core.validators.RegexValidator('^[a-z0-9]+(?:[-_][a-z0-9]+)*$', 'Lower-case letters and digits, words joined by hyphens or underscores.')], verbose_name='key')),
                ('name', models.CharField(max_length=100, verbose_name='name')),
                ('name_ru', models.CharField(blank=True, max_length=100, verbose_name='Russian name')),
                ('summary', models.TextField(blank=True, verbose_name='summary')),
                ('position', models.PositiveSmallIntegerField(default=0, verbose_name='position')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
            ],
            options={
                'verbose_name': 'historical category',
                'verbose_name_plural': 'historical categories',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalRequirementGroup',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('key', models.SlugField(max_length=80, verbose_name='key')),
                ('at_least', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(1)], verbose_name='at least')),
                ('name', models.CharField(blank=True, max_length=200, verbose_name='name')),
                ('name_ru', models.CharField(blank=True, max_length=200, verbose_name='Russian name')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
            ],
            options={
                'verbose_name': 'historical requirement group',
                'verbose_name_plural': 'historical requirement groups',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='RequirementGroup',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.SlugField(max_length=80, verbose_name='key')),
                ('at_least', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(1)], verbose_name='at least')),
                ('name', models.CharField(blank=True, max_length=200, verbose_name='name')),
                ('name_ru', models.CharField(blank=True, max_length=200, verbose_name='Russian name')),
            ],
            options={
                'verbose_name': 'requirement group',
                'verbose_name_plural': 'requirement groups',
                'ordering': ['track_level', 'key'],
            },
        ),
        migrations.RunPython(create_categories, keep_categories),
        migrations.RemoveConstraint(
            model_name='requirement',
            name='requirement_category_valid',
        ),
        migrations.AddField(
            model_name='historicalrequirement',
            name='examples',
            field=models.TextField(blank=True, verbose_name='examples'),
        ),
        migrations.AddField(
            model_name='historicalrequirement',
            name='proficiency',
            field=models.CharField(blank=True, help_text='How well, in a word or two (Awareness, Working, Practitioner...).', max_length=100, verbose_name='proficiency'),
        ),
        migrations.AddField(
            model_name='requirement',
            name='examples',
            field=models.TextField(blank=True, verbose_name='examples'),
        ),
        migrations.AddField(
            model_name='requirement',
            name='proficiency',
            field=models.CharField(blank=True, help_text='How well, in a word or two (Awareness, Working, Practitioner...).', max_length=100, verbose_name='proficiency'),
        ),
        migrations.AlterField(
            model_name='historicalrequirement',
            name='category',
            field=models.ForeignKey(blank=True, db_column='category', db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='grades.category', to_field='key', verbose_name='category'),
        ),
        migrations.AlterField(
            model_name='requirement',
            name='category',
            field=models.ForeignKey(db_column='category', on_delete=django.db.models.deletion.PROTECT, related_name='requirements', to='grades.category', to_field='key', verbose_name='category'),
        ),
        migrations.AddField(
            model_name='historicalcategory',
            name='history_user',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='historicalrequirementgroup',
            name='history_user',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='historicalrequirementgroup',
            name='track_level',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='grades.tracklevel'),
        ),
        migrations.AddField(
            model_name='requirementgroup',
            name='track_level',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='groups', to='grades.tracklevel'),
        ),
        migrations.AddField(
            model_name='historicalrequirement',
            name='group',
            field=models.ForeignKey(blank=True, db_constraint=False, help_text='Counts towards the group\'s "at least N" instead of being required on its own.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='grades.requirementgroup', verbose_name='group'),
        ),
        migrations.AddField(
            model_name='requirement',
            name='group',
            field=models.ForeignKey(blank=True, help_text='Counts towards the group\'s "at least N" instead of being required on its own.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='requirements', to='grades.requirementgroup', verbose_name='group'),
        ),
        migrations.AddConstraint(
            model_name='requirementgroup',
            constraint=models.UniqueConstraint(fields=('track_level', 'key'), name='requirementgroup_unique_key'),
        ),
        migrations.AddConstraint(
            model_name='requirementgroup',
            constraint=models.CheckConstraint(condition=models.Q(('at_least__gte', 1)), name='requirementgroup_at_least_positive'),
        ),
    ]
