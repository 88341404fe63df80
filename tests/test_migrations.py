"""Every model change ships with its migration, so `bin/start` on an existing database works."""

import subprocess
import sys


def test_models_and_migrations_agree():
    result = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, f"models changed without a migration:\n{result.stdout}{result.stderr}"
