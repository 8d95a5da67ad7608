"""The printable cheat sheet: HTML from Jinja, laid out by WeasyPrint part by part, math and fonts."""
