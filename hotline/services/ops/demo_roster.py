"""Demo data: the 2020 Iowa Democratic field and a generated roster of precincts and chairs."""
from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

# Real county names with short codes chairs would recognise; more are numbered after these.
COUNTIES = [("Polk", "DSM"), ("Linn", "CR"), ("Scott", "DAV"), ("Johnson", "IC"),
            ("Black Hawk", "WAT"), ("Story", "AMES"), ("Dubuque", "DBQ"), ("Woodbury", "SC"),
            ("Pottawattamie", "CB"), ("Dallas", "WDM"), ("Warren", "IND"), ("Clinton", "CLI")]
FIRST = ["Maria", "James", "Linda", "Robert", "Patricia", "Michael", "Barbara", "David", "Susan",
         "Joseph", "Karen", "Thomas", "Nancy", "Daniel", "Betty", "Paul", "Helen", "Mark", "Donna"]
LAST = ["Nguyen", "Johnson", "Miller", "Olson", "Schmidt", "Anderson", "Peterson", "Larson",
        "Hansen", "Meyer", "Garcia", "Jensen", "Wagner", "Becker", "Hoffman", "Kruse", "Lund"]
AREA_CODES = ["515", "319", "563", "712", "641"]


def candidates_csv() -> str:
    """The bundled candidate list (2020 Iowa Democratic field with everyday aliases)."""
    return resources.files("hotline").joinpath("data/candidates_iowa2020.csv").read_text(encoding="utf-8")


def _county_list(n: int) -> list[tuple[str, str]]:
    out = list(COUNTIES[:n])
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    i = 0
    while len(out) < n:
        code = "K" + letters[i // 26] + letters[i % 26]
        out.append((f"County {code}", code))
        i += 1
    return out


@dataclass(frozen=True)
class DemoRoster:
    roster_csv: str
    counties_csv: str
    precincts: int


def generate(precincts: int = 120, seed: int = 2020, counties: int | None = None) -> DemoRoster:
    """A reproducible roster: precinct codes like DSM-42, one chair each with phone and PIN."""
    rng = random.Random(seed)
    n_counties = counties or max(1, min(99, precincts // 18 or 1))
    county_list = _county_list(n_counties)
    roster, county_d = io.StringIO(), {name: 0 for name, _ in county_list}
    w = csv.writer(roster)
    w.writerow(["precinct", "county", "name", "delegates", "chair", "phones", "pin", "past_turnout"])
    numbers = {code: 0 for _, code in county_list}
    for i in range(precincts):
        # Polk (Des Moines) first gets 42 precincts, like a big county, so the DSM-42 of the
        # README exists; then counties take turns.
        county, code = county_list[0] if i < min(42, precincts // 2) else county_list[i % len(county_list)]
        numbers[code] += 1
        d = rng.choice([1, 2, 3] + [4, 5, 6, 7, 8, 9, 10, 12] * 3 + [14, 18, 24, 36])
        county_d[county] += d
        phone = f"+1{AREA_CODES[i // 10000 % 5]}555{i % 10000:04d}"
        chair = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        w.writerow([f"{code}-{numbers[code]}", county, f"{county} precinct {numbers[code]}", d, chair,
                    phone, f"{rng.randrange(1000, 10000)}", rng.randrange(40, 400)])
    counties_out = io.StringIO()
    cw = csv.writer(counties_out)
    cw.writerow(["county", "state_delegates"])
    for name, total in county_d.items():
        # A county ratio between about 0.08 and 0.44, as in 2020.
        cw.writerow([name, max(1, round(total * rng.uniform(0.08, 0.44)))])
    return DemoRoster(roster.getvalue(), counties_out.getvalue(), precincts)


def write(folder: Path, demo: DemoRoster) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    roster, counties = folder / "demo_roster.csv", folder / "demo_counties.csv"
    roster.write_text(demo.roster_csv, encoding="utf-8")
    counties.write_text(demo.counties_csv, encoding="utf-8")
    return roster, counties
