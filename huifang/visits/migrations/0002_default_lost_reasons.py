"""The starting list of lost-deal reasons (丢单原因); the organisation edits it in the admin."""

from django.db import migrations

REASONS = [
    ("price", "价格"),
    ("quality", "产品质量"),
    ("delivery", "交期"),
    ("service", "服务"),
    ("relationship", "客户关系"),
    ("competitor", "竞争对手"),
    ("budget", "客户预算取消"),
    ("other", "其他"),
]


def add_reasons(apps, schema_editor):
    LostReason = apps.get_model("visits", "LostReason")
    for position, (code, label) in enumerate(REASONS):
        LostReason.objects.get_or_create(code=code, defaults={"label": label, "position": position})


class Migration(migrations.Migration):
    dependencies = [("visits", "0001_sales_visits")]

    operations = [migrations.RunPython(add_reasons, migrations.RunPython.noop)]
