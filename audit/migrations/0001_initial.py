"""The audit trail moves here from ``accounts``: the table (``accounts_auditevent``, with its
rows, indexes and PostgreSQL append-only trigger) stays as it is; only Django's state moves."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('structures', '0003_establishment_search_index'),
        ('accounts', '0011_audit_admin_password_and_reminder_actions'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.SeparateDatabaseAndState(state_operations=[
        migrations.CreateModel(
            name='AuditEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name='time')),
                ('action', models.CharField(choices=[('account.created', 'account created'), ('account.updated', 'account updated'), ('account.blocked', 'account blocked'), ('account.unblocked', 'account unblocked'), ('habilitation.granted', 'habilitation granted'), ('habilitation.extended', 'habilitation extended'), ('habilitation.modified', 'habilitation modified'), ('habilitation.ended', 'habilitation ended'), ('charter.accepted', 'charter accepted'), ('charter.reminded', 'reminded to accept the charter'), ('establishment.sheet_edited', 'directory sheet edited'), ('unit.created', 'unit created'), ('unit.edited', 'unit edited'), ('signin.succeeded', 'sign-in succeeded'), ('signin.failed', 'sign-in failed'), ('finess.imported', 'FINESS import'), ('demo.seeded', 'demo data loaded'), ('review.started', 'review campaign started'), ('review.decided', 'review decision'), ('review.closed', 'review campaign closed'), ('account.password_set', 'password chosen'), ('admin.changed', 'change in the administration site')], max_length=40, verbose_name='action')),
                ('before', models.JSONField(blank=True, null=True, verbose_name='before')),
                ('after', models.JSONField(blank=True, null=True, verbose_name='after')),
                ('ip_address', models.GenericIPAddressField(blank=True, null=True, verbose_name='IP address')),
                ('request_id', models.CharField(blank=True, default='', max_length=64, verbose_name='request ID')),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='actor')),
                ('establishment', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='structures.establishment', verbose_name='establishment')),
                ('target_user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='audit_events', to=settings.AUTH_USER_MODEL, verbose_name='person concerned')),
                ('unit', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='structures.unit', verbose_name='unit')),
            ],
            options={
                'verbose_name': 'audit event',
                'verbose_name_plural': 'audit trail',
                'db_table': 'accounts_auditevent',
                'ordering': ['-created_at', '-id'],
                'indexes': [models.Index(fields=['establishment', '-created_at'], name='audit_est_time'), models.Index(fields=['target_user', '-created_at'], name='audit_target_time')],
            },
        ),
    ])]
