"""Care-team appointment prep dashboard for recurrent liver cancer."""
