"""Example handlers the README shows, kept as code so tests run exactly what it shows."""
