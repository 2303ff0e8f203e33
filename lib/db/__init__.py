"""Database layer: configuration, schema, migrations, bulk loading and rollups."""
