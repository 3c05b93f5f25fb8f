"""The Roeselare demo's eleven member authorities, which the demo (`central.demo`) creates and
the frameworks demo names: (name, first eight KBO digits, NIS code). The enterprise numbers are
made up for the demo: eight digits completed with valid mod-97 check digits."""

from __future__ import annotations

MEMBERS = [
    ("Gemeente Ardooie", "02075022", "37018"),
    ("Gemeente Hooglede", "02075033", "36006"),
    ("Gemeente Ingelmunster", "02075044", "36007"),
    ("Stad Izegem", "02075055", "36008"),
    ("Gemeente Kortemark", "02075066", "32030"),
    ("Gemeente Ledegem", "02075077", "36010"),
    ("Gemeente Lendelede", "02075088", "34025"),
    ("Gemeente Lichtervelde", "02075099", "36011"),
    ("Gemeente Moorslede", "02075111", "36012"),
    ("Gemeente Pittem", "02075122", "37011"),
    ("Gemeente Staden", "02075133", "36019"),
]
