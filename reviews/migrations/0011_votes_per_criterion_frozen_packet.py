"""Notes per criterion on votes, reasons per criterion on decisions, and the packet kept at the decision.

Nothing is filled in for the reviews already decided: what their committee saw was not
kept, and rebuilding it from today's checklist would pass today's data off as theirs.
Their page says so and shows the current packet under that label.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('reviews', '0010_review_statement'),
    ]

    operations = [
        migrations.AddField(
            model_name='historicalpromotionreview',
            name='decision_reasons',
            field=models.JSONField(blank=True, default=dict, verbose_name='reasons per criterion'),
        ),
        migrations.AddField(
            model_name='historicalvote',
            name='notes',
            field=models.JSONField(blank=True, default=dict, verbose_name='notes per criterion'),
        ),
        migrations.AddField(
            model_name='promotionreview',
            name='decision_reasons',
            field=models.JSONField(blank=True, default=dict, verbose_name='reasons per criterion'),
        ),
        migrations.AddField(
            model_name='vote',
            name='notes',
            field=models.JSONField(blank=True, default=dict, verbose_name='notes per criterion'),
        ),
        migrations.CreateModel(
            name='PacketSnapshot',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('taken_at', models.DateTimeField(verbose_name='taken at')),
                ('data', models.JSONField(verbose_name='packet')),
                ('review', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='frozen_packet', to='reviews.promotionreview')),
            ],
            options={
                'verbose_name': 'packet as decided',
                'verbose_name_plural': 'packets as decided',
            },
        ),
    ]
