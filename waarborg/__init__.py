"""waarborg: the system behind a privacy statement."""
