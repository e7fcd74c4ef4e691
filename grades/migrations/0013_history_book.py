"""Books on the reading lists get a history, like the rest of a track's framework.

The books already stored get a first history row ("history started", no user),
so each book's history begins with a creation, as it does for books added later.
"""

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


def start_history(apps, schema_editor):
    db = schema_editor.connection.alias
    Book = apps.get_model("grades", "Book")
    HistoricalBook = apps.get_model("grades", "HistoricalBook")
    now = timezone.now()
    HistoricalBook.objects.using(db).bulk_create(
        (
            HistoricalBook(
                id=book.pk,
                track_level_id=book.track_level_id,
                title=book.title,
                author=book.author,
                position=book.position,
                history_date=now,
                history_type="+",
                history_change_reason="history started",
            )
            for book in Book.objects.using(db).order_by("pk").iterator()
        ),
        batch_size=500,
    )


class Migration(migrations.Migration):

    dependencies = [
        ('grades', '0012_people_list_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='HistoricalBook',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('title', models.CharField(max_length=200, verbose_name='title')),
                ('author', models.CharField(blank=True, max_length=200, verbose_name='author')),
                ('position', models.PositiveSmallIntegerField(default=0, verbose_name='position')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('track_level', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='grades.tracklevel')),
            ],
            options={
                'verbose_name': 'historical book',
                'verbose_name_plural': 'historical books',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.RunPython(start_history, migrations.RunPython.noop),
    ]
