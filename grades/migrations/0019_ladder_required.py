"""Levels are unique per ladder instead of globally, every level and track is on a ladder, and a
level's main grade replaces the flag on the first level of each."""


import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('grades', '0018_ladder_standard'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='level',
            options={'ordering': ['ladder_id', 'rank'], 'verbose_name': 'level', 'verbose_name_plural': 'levels'},
        ),
        migrations.RemoveField(
            model_name='historicallevel',
            name='is_main_grade',
        ),
        migrations.RemoveField(
            model_name='level',
            name='is_main_grade',
        ),
        migrations.AlterField(
            model_name='historicallevel',
            name='code',
            field=models.SlugField(verbose_name='code'),
        ),
        migrations.AlterField(
            model_name='historicallevel',
            name='name',
            field=models.CharField(max_length=100, verbose_name='name'),
        ),
        migrations.AlterField(
            model_name='historicallevel',
            name='name_ru',
            field=models.CharField(blank=True, max_length=100, verbose_name='Russian name'),
        ),
        migrations.AlterField(
            model_name='historicallevel',
            name='rank',
            field=models.PositiveSmallIntegerField(verbose_name='rank'),
        ),
        migrations.AlterField(
            model_name='level',
            name='code',
            field=models.SlugField(verbose_name='code'),
        ),
        migrations.AlterField(
            model_name='level',
            name='ladder',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='levels', to='grades.ladder', verbose_name='ladder'),
        ),
        migrations.AlterField(
            model_name='level',
            name='name',
            field=models.CharField(max_length=100, verbose_name='name'),
        ),
        migrations.AlterField(
            model_name='level',
            name='name_ru',
            field=models.CharField(blank=True, max_length=100, verbose_name='Russian name'),
        ),
        migrations.AlterField(
            model_name='level',
            name='rank',
            field=models.PositiveSmallIntegerField(verbose_name='rank'),
        ),
        migrations.AlterField(
            model_name='track',
            name='ladder',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='tracks', to='grades.ladder', verbose_name='ladder'),
        ),
        migrations.AddConstraint(
            model_name='level',
            constraint=models.UniqueConstraint(fields=('ladder', 'rank'), name='level_unique_rank_per_ladder'),
        ),
        migrations.AddConstraint(
            model_name='level',
            constraint=models.UniqueConstraint(fields=('ladder', 'code'), name='level_unique_code_per_ladder'),
        ),
        migrations.AddConstraint(
            model_name='level',
            constraint=models.UniqueConstraint(fields=('ladder', 'name'), name='level_unique_name_per_ladder'),
        ),
    ]
