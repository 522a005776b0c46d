from django.db import migrations

from structures.geography import DEPARTEMENTS, OCCITANIE_SUPPORT, REGIONS


def load(apps, schema_editor):
    Region = apps.get_model("structures", "Region")
    Departement = apps.get_model("structures", "Departement")
    regions = {}
    for code, name in REGIONS:
        defaults = {"name": name}
        if code == "76":
            defaults.update(OCCITANIE_SUPPORT)
        regions[code], _ = Region.objects.update_or_create(code=code, defaults=defaults)
    for code, (name, region_code) in DEPARTEMENTS.items():
        Departement.objects.update_or_create(
            code=code, defaults={"name": name, "region": regions[region_code]}
        )


def unload(apps, schema_editor):
    apps.get_model("structures", "Departement").objects.filter(code__in=DEPARTEMENTS).delete()
    apps.get_model("structures", "Region").objects.filter(
        code__in=[code for code, _ in REGIONS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("structures", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
