import hashlib

from django.db import migrations

#: The name a token carried over from DRF's single-token table gets.
NAME = "API token"


def forwards(apps, schema_editor):
    """Every DRF token becomes a named token with the same key (kept as its hash, dated
    as it was made), and its plain-text row is deleted: the key keeps working, and the
    database no longer holds it."""
    Token = apps.get_model("authtoken", "Token")
    ApiToken = apps.get_model("alignment", "ApiToken")
    known = set(ApiToken.objects.values_list("key_hash", flat=True))
    moved = []
    for token in Token.objects.order_by("created").iterator():
        key_hash = hashlib.sha256(token.key.encode()).hexdigest()
        if key_hash not in known:
            moved.append(
                ApiToken(
                    user_id=token.user_id,
                    name=NAME,
                    key_hash=key_hash,
                    prefix=token.key[:8],
                    created_at=token.created,
                )
            )
    ApiToken.objects.bulk_create(moved, batch_size=1000)
    Token.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("alignment", "0008_api_tokens"),
        ("authtoken", "0004_alter_tokenproxy_options"),
    ]

    # Backwards there is nothing to give back: only the keys' hashes were kept.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
