"""A reminder kind for growth goals past their due date (remind_reviews)."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('jobs', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='reminder',
            name='reminder_kind_valid',
        ),
        migrations.AlterField(
            model_name='reminder',
            name='kind',
            field=models.CharField(choices=[('eligible', 'Became eligible for a defense'), ('defense', 'Defense coming up'), ('claim', 'Claim waiting for a decision'), ('goal', 'Growth goal past its due date')], max_length=10, verbose_name='kind'),
        ),
        migrations.AddConstraint(
            model_name='reminder',
            constraint=models.CheckConstraint(condition=models.Q(('kind__in', ['eligible', 'defense', 'claim', 'goal'])), name='reminder_kind_valid'),
        ),
    ]
