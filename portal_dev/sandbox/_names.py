"""Word lists for fictional organisation names, hosts and contacts (all under `.example`)."""

from __future__ import annotations

import random
import re
import unicodedata

ADJECTIVES = (
    "Blue", "Red", "Green", "Silver", "Golden", "Northern", "Southern", "Eastern", "Western", "Bright",
    "Rapid", "Quiet", "Bold", "Clear", "Open", "First", "Prime", "United", "Global", "Royal", "Swift",
    "Iron", "Crystal", "Summit", "Polar", "Coastal", "Urban", "Alpine", "Solar", "Lunar", "Maple",
    "Cedar", "Granite", "Harbor", "River", "Lake", "Pioneer", "Vertex", "Nimble", "Civic",
)
NOUNS = (
    "Harbor", "Peak", "Bridge", "Forge", "Field", "Stone", "Wave", "Pine", "Oak", "Falcon", "Fox",
    "Orbit", "Pixel", "Signal", "Beacon", "Anchor", "Compass", "Canyon", "Meadow", "Delta", "Atlas",
    "Vector", "Quantum", "Nova", "Comet", "Ridge", "Grove", "Tide", "Spark", "Lantern", "Arrow",
    "Crest", "Haven", "Harvest", "Circuit", "Cloud", "Matrix", "Nexus", "Prism", "Rocket",
)
SUFFIXES = (
    "Corp", "Inc", "GmbH", "Ltd", "Labs", "Group", "Systems", "AG", "SA", "BV", "Co", "Foundation",
    "Health", "Logistics", "Software", "Networks", "Partners", "Consulting", "Media", "Energy",
    "Bank", "Insurance", "Robotics", "Analytics", "Telecom",
)
CITIES = (
    "Porto", "Lyon", "Austin", "Recife", "Leipzig", "Kraków", "Osaka", "Denver", "Turin", "Bergen",
    "Curitiba", "Ghent", "Tartu", "Cork", "Bilbao", "Graz", "Utrecht", "Malmö", "Brno", "Quito",
    "Cebu", "Nairobi", "Pune", "Halifax", "Adelaide", "Tampere", "Valencia", "Basel", "Lille", "Perth",
)
INSTITUTIONS = (
    "University", "City Council", "Hospital", "School District", "Police Department", "Public Library",
    "Research Institute", "Fire Service", "Chamber of Commerce", "Water Authority", "Polytechnic",
)
SURNAMES = (
    "Almeida", "Becker", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Hansen", "Ito", "Jansen",
    "Kowalski", "Lopez", "Moreau", "Nakamura", "Oliveira", "Peters", "Quinn", "Rossi", "Schmidt",
    "Tanaka", "Urban", "Varga", "Weber", "Xu", "Yilmaz", "Zhang", "Silva", "Novak", "Murphy", "Berg",
)
FIRST_NAMES = (
    "ana", "ben", "carla", "david", "eva", "felipe", "grace", "hugo", "ines", "jonas", "kim", "lucas",
    "maria", "nina", "omar", "paula", "rafael", "sara", "tom", "ute", "victor", "yara", "zoe",
)
MAIL_LOCALS = ("it", "admin", "ops", "rocketchat-admin", "helpdesk", "sysadmin", "infra", "chat")
HOST_PATTERNS = ("chat.{}.example", "{}.example", "rocket.{}.example", "team.{}.example",
                 "rc.{}.example", "talk.{}.example")


def organisation_name(r: random.Random) -> str:
    """A plausible, fictional organisation name."""
    kind = r.random()
    if kind < 0.55:
        return f"{r.choice(ADJECTIVES)} {r.choice(NOUNS)} {r.choice(SUFFIXES)}"
    if kind < 0.72:
        return f"{r.choice(NOUNS)}{r.choice(NOUNS).lower()} {r.choice(SUFFIXES)}"
    if kind < 0.87:
        return f"{r.choice(CITIES)} {r.choice(INSTITUTIONS)}"
    return f"{r.choice(SURNAMES)} & {r.choice(SURNAMES)} {r.choice(('Law', 'Architects', 'Advisors', 'LLP'))}"




def slugify(name: str) -> str:
    """ "Kraków City Council" → "krakow-city-council"."""
    text = unicodedata.normalize("NFKD", name.lower()).encode("ascii", "ignore").decode().replace("&", "and")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")
