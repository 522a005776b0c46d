from django.db import migrations

# code, name, administers accounts, reviews habilitations
PROFILES = [
    ("referent", "Référent structure", True, False),
    ("directeur", "Directeur", False, True),
    ("medecin", "Médecin", False, False),
    ("secretaire-medicale", "Secrétaire médicale", False, False),
    ("assistant-social", "Assistant(e) social(e)", False, False),
    ("cadre-de-sante", "Cadre de santé / coordinateur de soins", False, False),
    ("gestionnaire-de-lits", "Gestionnaire de lits", False, False),
    ("infirmier", "Infirmier(e)", False, False),
]


def seed(apps, schema_editor):
    Profile = apps.get_model("accounts", "Profile")
    for order, (code, name, administers, reviews) in enumerate(PROFILES, start=1):
        Profile.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "administers_accounts": administers,
                "reviews_habilitations": reviews,
                "order": order * 10,
            },
        )


def unseed(apps, schema_editor):
    Profile = apps.get_model("accounts", "Profile")
    Profile.objects.filter(code__in=[p[0] for p in PROFILES], habilitations__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
