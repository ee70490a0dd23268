"""When a version was last put in force; for the versions recorded so far, when it took effect."""

from django.db import migrations, models


def _from_effective_at(apps, schema_editor):
    PolicyVersion = apps.get_model("policy", "PolicyVersion")
    PolicyVersion.objects.update(activated_at=models.F("effective_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("policy", "0002_document_keeps_key_order"),
    ]

    operations = [
        migrations.AddField(
            model_name="policyversion",
            name="activated_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.RunPython(_from_effective_at, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="policyversion",
            name="activated_at",
            field=models.DateTimeField(),
        ),
        migrations.AlterModelOptions(
            name="policyversion",
            options={"ordering": ["-activated_at", "-id"]},
        ),
    ]
