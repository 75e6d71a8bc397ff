"""Writes bench/data/memory_qa_people.jsonl: everyday memories about the people in a user's life, with questions.

`python bench/data/make_memory_qa_people.py` (deterministic: seed 11). Each person (a relative, a colleague, a
neighbour) has a dozen facts of the same kinds as everyone else (job, home, schedule, food, pets, plans), so
every fact has confusable neighbours twice over: the same person's other facts share the name, and other
people's facts of the same kind share the wording. Questions are ordinary sentences that reword the fact
(they never repeat its distinctive value), half naming the person and half only the relation ("my sister").
Ordinary proper names must not read as exact identifiers here: that is what this set checks.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

OUT = Path(__file__).resolve().parent / "memory_qa_people.jsonl"
rng = random.Random(11)

PEOPLE = [
    ("Clara", "sister", "she"), ("Marcus", "brother", "he"), ("Ingrid", "neighbour", "she"),
    ("Priya", "manager", "she"), ("Tomás", "best friend", "he"), ("Leo", "son", "he"),
    ("Amara", "daughter", "she"), ("Hiroshi", "father-in-law", "he"), ("Beatriz", "mother", "she"),
    ("Declan", "cousin", "he"), ("Fatima", "colleague", "she"), ("Gustav", "landlord", "he"),
    ("Helena", "aunt", "she"), ("Ivan", "flatmate", "he"), ("Joanna", "dentist", "she"),
    ("Kofi", "running partner", "he"), ("Lucia", "niece", "she"), ("Mateo", "nephew", "he"),
    ("Nora", "piano teacher", "she"), ("Oliver", "business partner", "he"), ("Paula", "grandmother", "she"),
    ("Rafael", "uncle", "he"), ("Sanna", "therapist", "she"), ("Theo", "godson", "he"),
    ("Ulla", "yoga instructor", "she"), ("Wen", "mentor", "she"),
]  # fmt: skip

JOBS = [
    ("a paediatric nurse", "a hospital"), ("a structural engineer", "a bridge consultancy"),
    ("a sommelier", "a wine bar"), ("an air traffic controller", "the regional airport"),
    ("a high school chemistry teacher", "a public school"), ("a software tester", "a games studio"),
    ("a veterinary surgeon", "an animal clinic"), ("a tax accountant", "a small firm"),
    ("a firefighter", "the city brigade"), ("a florist", "her own shop"), ("a pilot", "a cargo airline"),
    ("a landscape architect", "a design studio"), ("a court interpreter", "the district court"),
    ("a carpenter", "a furniture workshop"), ("a marine biologist", "a research institute"),
    ("a pharmacist", "the corner pharmacy"), ("a journalist", "a local newspaper"), ("a baker", "a sourdough bakery"),
    ("a physiotherapist", "a sports clinic"), ("a librarian", "the university library"),
    ("an electrician", "a solar installer"), ("a social worker", "the council"), ("a tailor", "a bridal boutique"),
    ("a radiographer", "a private clinic"), ("a museum curator", "the maritime museum"),
    ("a train driver", "the national railway"),
]  # fmt: skip
CITIES = (
    "Lisbon Rotterdam Kraków Valencia Tallinn Ljubljana Bergen Porto Graz Gdańsk Bruges Turin Seville Aarhus "
    "Tampere Brno Cork Lyon Leipzig Bologna Salzburg Malmö Utrecht Split Riga Vilnius"
).split()
INSTRUMENTS = (
    "cello|ukulele|trumpet|harp|drums|clarinet|bass guitar|violin|saxophone|accordion|flute|banjo|oboe|"
    "mandolin|trombone|harmonica|double bass|French horn|bagpipes|sitar|viola|bassoon|xylophone|tuba|lute|zither"
).split("|")
ALLERGENS = (
    "peanuts|shellfish|penicillin|cats|bee stings|latex|sesame|kiwi fruit|ibuprofen|horses|mustard|celery|"
    "strawberries|walnuts|lupin|pollen from birch trees|dust mites|eggs|soy|wheat|sulphites|mango|hazelnuts|"
    "lobster|aspirin|feathers"
).split("|")
DISLIKES = (
    "coriander|olives|mushrooms|blue cheese|liquorice|anchovies|beetroot|raisins|tofu|sardines|mayonnaise|"
    "aubergine|pickled herring|coconut|marzipan|celeriac|tripe|okra|brussels sprouts|capers|goat cheese|"
    "black pudding|radishes|pineapple on pizza|oysters|fennel"
).split("|")
PETS = [
    ("a grey cat", "cat"), ("a beagle", "dog"), ("a tortoise", "tortoise"), ("two budgies", "birds"),
    ("a rescue greyhound", "dog"), ("a ginger cat", "cat"), ("a rabbit", "rabbit"), ("a corn snake", "snake"),
    ("a pair of guinea pigs", "guinea pigs"), ("a labrador", "dog"), ("a goldfish", "fish"), ("a parrot", "parrot"),
    ("a ferret", "ferret"), ("a hamster", "hamster"), ("a black cat", "cat"), ("a border collie", "dog"),
    ("a bearded dragon", "lizard"), ("three hens", "chickens"), ("a pug", "dog"), ("a Siamese cat", "cat"),
    ("a dachshund", "dog"), ("an axolotl", "axolotl"), ("a chinchilla", "chinchilla"), ("a cockatiel", "bird"),
    ("a poodle", "dog"), ("a hedgehog", "hedgehog"),
]  # fmt: skip
PET_NAMES = (
    "Biscuit Pepper Mochi Juniper Waffles Pickle Luna Bramble Noodle Ziggy Clementine Otis Maple Sprout Fig "
    "Turnip Basil Pudding Socks Nacho Olive Rocket Tofu Marble Pebble Crumpet"
).split()
ACTIVITIES = [
    ("choir rehearsal", "sing with the choir"), ("swimming lessons", "go to the pool"),
    ("a pottery class", "make ceramics"), ("five-a-side football", "play football"),
    ("a Spanish conversation group", "practise a language"), ("volunteering at the food bank", "volunteer"),
    ("climbing at the bouldering gym", "go climbing"), ("a chess club", "play chess"),
    ("dialysis", "have a hospital treatment"), ("physiotherapy", "see a physio"), ("a book club", "discuss books"),
    ("tango lessons", "go dancing"), ("band practice", "rehearse with the band"), ("night school", "attend classes"),
    ("a cycling club ride", "ride with the cyclists"), ("church", "go to services"), ("a life drawing class", "draw"),
    ("rowing on the river", "row"), ("karate", "do martial arts"), ("a quiz night at the pub", "do the pub quiz"),
    ("a knitting circle", "knit with friends"), ("orchestra rehearsal", "play with the orchestra"),
    ("a woodwork course", "do woodwork"), ("tennis doubles", "play tennis"), ("Scout meetings", "see the Scouts"),
    ("a stand-up comedy workshop", "practise comedy"),
]  # fmt: skip
WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
MONTHS = "January February March April May June July August September October November December".split()
CARS = (
    "a red Fiat Panda|an old blue Volvo estate|a white Tesla Model 3|a silver Toyota Prius|a green Land Rover|"
    "a yellow Renault Zoe|a black Audi A4|a camper van|a bright orange Mini|a battered Ford Transit|"
    "a grey Skoda Octavia|a vintage Beetle|a cargo bike, no car|a motorbike|a purple Kia Soul|a Honda Jazz|"
    "a Mazda MX-5|a Citroën 2CV|a Nissan Leaf|a Jeep Wrangler|a Peugeot 208|a Seat Ibiza|a Dacia Duster|"
    "a Hyundai Ioniq|a Subaru Forester|a Lada Niva"
).split("|")
REASONS = (
    "a wedding|a conference|a hiking trip|a job interview|her graduation|a football final|a funeral|"
    "a yoga retreat|a trade fair|a school exchange|a food festival|an eye operation|a family reunion|"
    "a marathon|a house viewing|a cooking course|a jazz festival|a christening|a sailing race|a film festival|"
    "a chess tournament|a research visit|a stag weekend|a ski trip|a language course|a book launch"
).split("|")
BOOKS = (
    "The Overstory|Piranesi|Klara and the Sun|The Remains of the Day|Educated|Stoner|Circe|Lonesome Dove|"
    "The Dispossessed|Middlemarch|The Road|Pachinko|Normal People|The Leopard|Beloved|Shuggie Bain|"
    "Project Hail Mary|The Name of the Rose|Wolf Hall|Dune|Rebecca|The Secret History|Homegoing|Atonement|"
    "The Goldfinch|Invisible Cities"
).split("|")
HOBBIES = [
    ("restoring old radios", "What does {who} tinker with in {pos} free time?"),
    ("birdwatching on the marshes", "How does {who} spend quiet weekends outdoors?"),
    ("brewing kombucha", "What does {who} ferment at home?"),
    ("building model railways", "What is {who}'s miniature hobby?"),
    ("growing chillies on the balcony", "What does {who} cultivate at home?"),
    ("open-water swimming", "Which cold-water sport does {who} love?"),
    ("geocaching", "What treasure-hunting pastime does {who} enjoy?"),
    ("baking sourdough", "What does {who} make in the kitchen every weekend?"),
    ("amateur astronomy", "What does {who} look at through a telescope?"),
    ("trail running", "Which outdoor sport does {who} train for?"),
    ("collecting vinyl records", "What does {who} collect?"),
    ("writing crime novels", "What kind of fiction is {who} working on?"),
    ("beekeeping", "What insects does {who} look after?"),
    ("sea kayaking", "What does {who} paddle along the coast?"),
    ("calligraphy", "What artistic skill with a pen does {who} practise?"),
    ("foraging for mushrooms", "What does {who} pick in the woods?"),
    ("playing competitive Scrabble", "Which word game does {who} compete in?"),
    ("restoring furniture", "What does {who} fix up and sell?"),
    ("salsa dancing", "Which Latin dance does {who} do?"),
    ("photographing street art", "What does {who} take pictures of?"),
    ("knitting jumpers", "What does {who} make with wool?"),
    ("fly fishing", "Which angling style does {who} enjoy?"),
    ("bouldering", "What kind of climbing does {who} do?"),
    ("making cheese", "Which dairy craft is {who} into?"),
    ("orienteering", "Which map-and-compass sport does {who} do?"),
    ("stand-up paddleboarding", "What does {who} do on the lake?"),
]  # fmt: skip


def pos(pronoun: str) -> str:
    return "her" if pronoun == "she" else "his"


def subject(name: str, relation: str, mode: str) -> str:
    """How a fact names the person: 'My sister Clara', 'Clara', or 'Clara (my sister)'."""
    return {"full": f"My {relation} {name}", "name": name, "paren": f"{name}, my {relation},"}[mode]


def ask_about(name: str, relation: str, by_name: bool) -> str:
    return name if by_name else f"my {relation}"


facts: list[dict[str, str]] = []
questions: list[dict[str, str]] = []


def add(fid: str, content: str, question: str | None) -> None:
    facts.append({"kind": "fact", "id": fid, "content": content})
    if question is not None:
        questions.append({"kind": "question", "question": question, "gold": fid})


def pick(values: list, index: int) -> object:  # type: ignore[type-arg]
    return values[index % len(values)]


offsets = {name: rng.randrange(26) for name in ("job", "city", "instr", "allergy", "dislike", "pet", "act", "car",
                                                  "trip", "book", "hobby", "petname", "reason")}  # fmt: skip
for i, (name, relation, pronoun) in enumerate(PEOPLE):
    p = pos(pronoun)
    mode = rng.choice(["full", "name", "paren"])
    s = subject(name, relation, mode)
    asked = {kind: rng.random() < 0.5 for kind in range(12)}  # which of this person's facts get a question

    def who(kind: int, name: str = name, relation: str = relation) -> str:
        return ask_about(name, relation, by_name=rng.random() < 0.5)

    job, employer = pick(JOBS, i + offsets["job"])  # type: ignore[misc]
    add(f"p{i:02d}a", f"{s} works as {job} at {employer}.",
        f"What does {who(0)} do for a living?" if asked[0] else None)  # fmt: skip
    city = pick(CITIES, i + offsets["city"])
    year = 2015 + rng.randrange(10)
    add(f"p{i:02d}b", f"{s} moved to {city} in {year} and rents a flat near the old town.",
        f"Which town is {who(1)} living in now?" if asked[1] else None)  # fmt: skip
    instrument = pick(INSTRUMENTS, i + offsets["instr"])
    add(f"p{i:02d}c", f"{s} has started learning the {instrument}.",
        f"Which musical instrument is {who(2)} picking up?" if asked[2] else None)  # fmt: skip
    allergen = pick(ALLERGENS, i + offsets["allergy"])
    add(f"p{i:02d}d", f"{s} is allergic to {allergen}, so keep that in mind when we host.",
        f"Is there anything {who(3)} reacts badly to?" if asked[3] else None)  # fmt: skip
    dislike = pick(DISLIKES, i + offsets["dislike"])
    add(f"p{i:02d}e", f"{s} hates {dislike} and picks it off the plate.",
        f"Which ingredient should I leave out when cooking for {who(4)}?" if asked[4] else None)  # fmt: skip
    pet, kind = pick(PETS, i + offsets["pet"])  # type: ignore[misc]
    pet_name = pick(PET_NAMES, i + offsets["petname"])
    add(f"p{i:02d}f", f"{s} has {pet} named {pet_name}.",
        f"What {'are' if kind.endswith('s') else 'is'} {who(5)}'s {kind} called?" if asked[5] else None)  # fmt: skip
    activity, doing = pick(ACTIVITIES, i + offsets["act"])  # type: ignore[misc]
    day = WEEKDAYS[rng.randrange(7)]
    hour = rng.randint(8, 20)
    add(f"p{i:02d}g", f"{s} has {activity} every {day} at {hour}:00.",
        f"On which day of the week does {who(6)} {doing}?" if asked[6] else None)  # fmt: skip
    car = pick(CARS, i + offsets["car"])
    add(f"p{i:02d}h", f"{s} drives {car}.", f"What vehicle does {who(7)} get around in?" if asked[7] else None)
    trip_city = pick(CITIES, i + offsets["trip"] + 7)
    month = MONTHS[rng.randrange(12)]
    reason = pick(REASONS, i + offsets["reason"])
    add(f"p{i:02d}i", f"{s} is flying to {trip_city} for {reason} in {month}.",
        f"Why is {who(8)} travelling abroad later this year?" if asked[8] else None)  # fmt: skip
    book = pick(BOOKS, i + offsets["book"])
    add(f"p{i:02d}j", f"{s} recommended the novel {book} to me last week.",
        f"Which book did {who(9)} suggest I read?" if asked[9] else None)  # fmt: skip
    hobby, hobby_question = pick(HOBBIES, i + offsets["hobby"])  # type: ignore[misc]
    add(f"p{i:02d}k", f"{s} spends most weekends {hobby}.",
        hobby_question.format(who=who(10), pos=p) if asked[10] else None)  # fmt: skip
    day_of_month = rng.randint(1, 28)
    birth_month = MONTHS[rng.randrange(12)]
    add(
        f"p{i:02d}l",
        f"{name}'s birthday is on {birth_month} {day_of_month}; {pronoun} likes handwritten cards.",
        f"When was {name} born?" if asked[11] else None,
    )  # fmt: skip (the fact names no relation)

# Distractors that name the person but answer nothing about them: a lunch with someone else, and a namesake
# (another person of the same name, with a home and a job of their own).
TOPICS = ("the school run|a leaking roof|holiday plans|a new job offer|the football results|a birthday present").split(
    "|"
)
FIELDS = "insurance|logistics|advertising|hospitality|retail|construction|banking|publishing".split("|")
for i, (name, _relation, _pronoun) in enumerate(PEOPLE):
    other, other_relation, _ = PEOPLE[(i + 5) % len(PEOPLE)]
    add(f"p{i:02d}x", f"{other} met {name} for lunch on {rng.choice(WEEKDAYS)} and talked about {rng.choice(TOPICS)}.",
        None)  # fmt: skip
    add(f"p{i:02d}y", f"My {other_relation} {other} has a friend also called {name}, who lives in "
        f"{pick(CITIES, i + 3)} and works in {rng.choice(FIELDS)}.", None)  # fmt: skip

if __name__ == "__main__":
    rows = facts + questions
    OUT.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    print(f"{OUT.name}: {len(facts)} facts, {len(questions)} questions")
