"""Writes bench/data/memory_qa_work.jsonl: work and life memories full of exact entities, with questions.

`python bench/data/make_memory_qa_work.py` (deterministic: seed 7). Real assistant memories carry ticket
ids, hostnames, project codes, flight numbers, invoice numbers, people and dates, and a question often names
the entity exactly while rewording the rest ("who picked up OPS-4821?"). Each family below holds many
near-neighbours that share the topic and the wording and differ in the entity, so meaning alone cannot tell
them apart; the hand-written memory_qa.jsonl (personal facts, pure paraphrases) keeps the other side honest.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path

OUT = Path(__file__).resolve().parent / "memory_qa_work.jsonl"
rng = random.Random(7)

FIRST = (
    "Priya Tomás Kenji Aisha Lars Mei Diego Fatima Oskar Sofia Hannah Rahul Chloé Ibrahim Grace Mateo Yuki "
    "Nadia Samuel Elena Arjun Ingrid Kwame Lucía Noor Pieter Rosa Viktor Zara Bruno"
).split()
LAST = (
    "Natarajan Ferreira Watanabe Bello Eriksson Chen Alvarez Haddad Nowak Rossi Müller Mehta Dubois Okafor "
    "O'Neill Silva Tanaka Petrova Kowalski Lindqvist"
).split()
COMPANIES = (
    "Acme Corp|Globex|Initech|Umbrella Health|Stark Logistics|Wayne Foods|Hooli|Vandelay Imports|Soylent Labs|"
    "Tyrell Systems|Cyberdyne Retail|Gringotts Bank|Wonka Confectionery|Oscorp Energy|Pied Piper|Massive Dynamic|"
    "Nakatomi Trading|Duff Breweries|Monarch Airlines|Blue Sun Media"
).split("|")
CITIES = (
    "Lisbon Berlin Osaka Nairobi Toronto Madrid Oslo Warsaw Dublin Milan Austin Seoul Lyon Porto Zurich Denver "
    "Krakow Helsinki Athens Bogotá"
).split()
MONTHS = "January February March April May June July August September October November December".split()
WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday".split()


def date() -> str:
    return f"{rng.randint(1, 28)} {rng.choice(MONTHS)}"


def clock() -> str:
    return f"{rng.randint(7, 18)}:{rng.choice(['00', '15', '30', '45'])}"


def unique(make: Callable[[], str], seen: set[str]) -> str:
    while True:
        value = make()
        if value not in seen:
            seen.add(value)
            return value


facts: list[dict[str, str]] = []
questions: list[dict[str, str]] = []


def add(content: str, asks: list[str], n_questions: int) -> None:
    fid = f"w{len(facts) + 1:03d}"
    facts.append({"kind": "fact", "id": fid, "content": content})
    for q in rng.sample(asks, min(n_questions, len(asks))):
        questions.append({"kind": "question", "question": q, "gold": fid})


def n_q() -> int:
    """0, 1 or 2 questions per fact (about 0.8 on average)."""
    return rng.choices([0, 1, 2], weights=[0.35, 0.5, 0.15])[0]


seen: set[str] = set()
HOSTS: list[str] = []
for _ in range(22):
    HOSTS.append(
        unique(
            lambda: (
                f"{rng.choice(['db', 'web', 'cache', 'build', 'nas', 'kafka', 'api', 'vpn'])}-"
                f"{rng.choice(['prod', 'stg', 'eu', 'us', 'dev'])}-{rng.randint(1, 19):02d}"
            ),
            seen,
        )
    )
SERVICES = (
    "PostgreSQL 15|Redis|the Jenkins agents|Grafana and Prometheus|the payments API|Kafka brokers|"
    "the customer portal|nginx and the static site|the search cluster|the SFTP drop|the license server|"
    "the billing cron jobs"
).split("|")
TEAMS = "platform|payments|data|mobile|growth|security|support tooling|search".split("|")

# Hosts: what runs where, and who owns it.
for host in HOSTS:
    service, team = rng.choice(SERVICES), rng.choice(TEAMS)
    rack, city = f"{rng.choice('ABCDEFG')}{rng.randint(1, 12)}", rng.choice(CITIES[:6])
    add(
        f"{host} runs {service} in rack {rack} of the {city} data centre; the {team} team owns it.",
        [
            f"What software is installed on {host}?",
            f"In which rack and site is {host} physically located?",
            f"Which team is responsible for {host}?",
            f"If {host} breaks, whose team should I page?",
        ],
        n_q(),
    )

# Tickets: the same kinds of trouble on many machines.
SYMPTOMS = (
    "disk usage above 90 percent|TLS certificate expiring in 5 days|nightly backup failing|memory leak after "
    "deploy|slow queries after the index change|DNS lookups timing out|cron job running twice|"
    "kernel patch pending reboot|replication lag above 30 seconds|500 errors on login"
).split("|")
for _ in range(26):
    key = unique(lambda: f"{rng.choice(['OPS', 'INFRA', 'PAY', 'WEB', 'DATA'])}-{rng.randint(1000, 9999)}", seen)
    who, host, what, when = rng.choice(FIRST), rng.choice(HOSTS), rng.choice(SYMPTOMS), date()
    add(
        f"Ticket {key}: {what} on {host}; {who} picked it up on {when}.",
        [
            f"Who is handling {key}?",
            f"Which server is {key} about?",
            f"What's the problem reported in {key}?",
            f"When did someone start working on {key}?",
        ],
        n_q(),
    )

# Projects with code names: budgets, deadlines, sponsors.
CODES = (
    "ORCA KESTREL BLUEJAY HALIBUT MARLIN PX-204 PX-311 PRJ-1042 PRJ-1187 ATLAS-2 NIMBUS FALCON-7 OSPREY QUOKKA "
    "TERN-9 HERON LYNX"
).split()
for code in CODES:
    money = f"{rng.choice(['EUR', 'USD', 'GBP'])} {rng.randint(2, 95) * 10}k"
    sponsor = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    deadline = f"{date()} {rng.choice([2025, 2026, 2027])}"
    add(
        f"Project {code} has a budget of {money}, must ship by {deadline}, and {sponsor} is the sponsor.",
        [
            f"What's the due date for {code}?",
            f"How much money was allotted to {code}?",
            f"Who is the executive sponsor of {code}?",
            f"By when does {code} have to be delivered?",
        ],
        n_q() + 1,
    )

# Trips: flights with numbers and booking references.
for city in CITIES[:18]:
    flight = unique(lambda: f"{rng.choice(['TP', 'LH', 'KL', 'BA', 'IB', 'SK', 'LO'])}{rng.randint(100, 2999)}", seen)
    ref = unique(lambda: "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(6)), seen)
    add(
        f"Flight {flight} to {city} leaves on {date()} at {clock()}; the booking reference is {ref}.",
        [
            f"What's the confirmation code for my {city} trip?",
            f"What time does {flight} depart?",
            f"Which day am I flying out to {city}?",
            f"Which flight did I book with reference {ref}?",
        ],
        n_q(),
    )

# Contacts at companies.
TOPICS = "invoicing|the renewal|technical support|the data-sharing agreement|shipping|the security review".split("|")
for company in COMPANIES:
    name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    code = rng.choice([351, 49, 44, 1, 34, 48])
    phone = f"+{code} {rng.randint(200, 999)} {rng.randint(100, 999)} {rng.randint(100, 999)}"
    topic = rng.choice(TOPICS)
    add(
        f"{name} at {company} is our contact for {topic}; phone {phone}.",
        [
            f"Who should I talk to at {company}?",
            f"What's the phone number of our person at {company}?",
            f"What does {name.split()[0]} {name.split()[1]} help us with?",
        ],
        n_q(),
    )

# Incidents.
CAUSES = (
    "an expired certificate|a full disk|a bad config push|a DNS misconfiguration|a runaway migration|"
    "a network partition|a memory leak|a third-party API outage"
).split("|")
for _ in range(18):
    inc = unique(lambda: f"INC-{rng.randint(100, 999)}", seen)
    service = rng.choice(SERVICES)
    add(
        f"{inc} on {date()}: {service} was down for {rng.randint(4, 180)} minutes because of {rng.choice(CAUSES)}.",
        [
            f"What was the root cause of {inc}?",
            f"How long did the {inc} outage last?",
            f"Which system went down in {inc}?",
        ],
        n_q(),
    )

# Customer orders.
SKUS = "SKU-A100 SKU-A220 SKU-B310 SKU-C045 SKU-D900".split()
for company in rng.sample(COMPANIES, 16):
    order = unique(lambda: str(rng.randint(40000, 49999)), seen)
    add(
        f"Order #{order} for {company}: {rng.randint(2, 400)} units of {rng.choice(SKUS)}, shipping on {date()}.",
        [
            f"When does order {order} go out?",
            f"How many units are in order #{order}?",
            f"What did {company} order from us?",
        ],
        n_q(),
    )

# Birthdays and gift ideas.
GIFTS = (
    "a vinyl record|a board game|a cookbook|hiking socks|a plant|concert tickets|a fountain pen|a puzzle|"
    "a scarf|a coffee grinder"
).split("|")
for first in FIRST[:22]:
    add(
        f"{first}'s birthday is on {date()}, and a good present would be {rng.choice(GIFTS)}.",
        [f"When should I wish {first} a happy birthday?", f"What gift could I buy for {first}?"],
        n_q(),
    )

# Releases of a few products: many versions each.
PRODUCTS = ["Auralink Desktop", "the mobile app", "the billing service", "the public API"]
FEATURES = (
    "dark mode|SSO login|CSV export|offline sync|rate limiting|push notifications|two-factor auth|bulk "
    "import|audit logs|webhooks|search filters|a new onboarding flow"
).split("|")
for _ in range(18):
    product = rng.choice(PRODUCTS)
    ver = unique(lambda: f"{rng.randint(1, 4)}.{rng.randint(0, 12)}.{rng.randint(0, 9)}", seen)
    feature = rng.choice(FEATURES)
    add(
        f"{product[0].upper()}{product[1:]} {ver} was released on {date()} and added {feature};"
        f" {rng.choice(FIRST)} was the release manager.",
        [f"What came with version {ver} of {product}?", f"When did {product} {ver} come out?"],
        n_q(),
    )

# Recurring meetings.
MEETINGS = "standup|retro|planning session|design review|1:1".split("|")
for team in TEAMS:
    for meeting in rng.sample(MEETINGS, 2):
        room = unique(
            lambda: f"{rng.choice(['Atlas', 'Boreal', 'Cedar', 'Delta'])} {rng.randint(1, 6)}.{rng.randint(1, 20):02d}",
            seen,
        )
        add(
            f"The {team} {meeting} is every {rng.choice(WEEKDAYS)} at {clock()} in room {room}.",
            [f"Where does the {team} team hold its {meeting}?", f"On which day is the {team} {meeting}?"],
            n_q(),
        )

# Invoices.
for company in rng.sample(COMPANIES, 16):
    inv = unique(lambda: f"INV-2024-{rng.randint(100, 999)}", seen)
    add(
        f"Invoice {inv} to {company} for EUR {rng.randint(1, 90) * 250} is due on {date()}.",
        [f"How much is {inv} for?", f"When must {company} pay {inv}?", f"Which client got invoice {inv}?"],
        n_q(),
    )

# Where configuration lives.
for service in (
    "payments API",
    "search cluster",
    "customer portal",
    "billing cron jobs",
    "license server",
    "SFTP drop",
):
    for env in ("staging", "production"):
        path = f"infra/{env[:4]}/{service.split()[0].lower()}-{rng.randint(1, 9)}.yaml"
        add(
            f"The {env} settings for the {service} live in {path}.",
            [f"Where is the {env} config of the {service} kept?"],
            n_q(),
        )

if __name__ == "__main__":
    with OUT.open("w") as out:
        for row in facts + questions:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{OUT.name}: {len(facts)} facts, {len(questions)} questions")
