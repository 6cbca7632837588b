"""Seeded generation of plausible Xinhua-style wire copy: headlines, datelines and paragraphs."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from itertools import accumulate

from wiresim import vocabulary as v
from wiresim.articles import Paragraph

_SLOT = re.compile(r"\{(\w+)\}")
_NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_TREND = {
    "trend_verb": (
        ("rises", "grows", "climbs", "jumps", "edges up"),
        ("falls", "drops", "eases", "declines", "slows to"),
    ),
    "trend_verb_long": (
        ("rose", "grew", "climbed", "jumped", "increased", "edged up"),
        ("fell", "dropped", "eased", "declined", "slowed to"),
    ),
    "market_verb": (
        ("rise", "gain", "rebound", "climb", "edge higher"),
        ("fall", "slip", "retreat", "edge lower", "drop"),
    ),
    "market_verb_s": (
        ("rises", "gains", "rebounds", "climbs", "edges higher"),
        ("falls", "slips", "retreats", "edges lower", "drops"),
    ),
    "market_verb_long": (
        ("rose", "gained", "rebounded", "climbed", "edged higher"),
        ("fell", "slipped", "retreated", "edged lower", "dropped"),
    ),
}
# Generic phrases the headline and the lead must agree on.
_HEADLINE_SHARED = frozenset({"object", "second_object", "action", "challenge"})
_GENERIC_POOLS: dict[str, tuple[str, ...]] = {
    "reported": v.REPORTING_VERBS,
    "time_phrase": v.TIME_PHRASES,
    "Connector": v.CONNECTORS,
    "commit": v.COMMITMENT_VERBS,
    "action": v.ACTION_VERBS,
    "object": v.ABSTRACT_OBJECTS,
    "second_object": v.ABSTRACT_OBJECTS,
    "third_object": v.ABSTRACT_OBJECTS,
    "purpose": v.PURPOSES,
    "quality": v.QUALITIES,
    "challenge": v.CHALLENGES,
    "second_challenge": v.CHALLENGES,
    "feeling": v.FEELINGS,
    "event_noun": v.EVENT_NOUNS,
    "participants": v.PARTICIPANTS,
    "occupation": v.OCCUPATIONS,
    "portfolio": v.PORTFOLIOS,
    "portfolio2": v.PORTFOLIOS,
    "quote_body": v.QUOTE_BODIES,
    "quote_body2": v.QUOTE_BODIES,
    "clause": v.CLAUSES,
}


@dataclass(frozen=True, slots=True)
class Person:
    full: str
    short: str
    role: str  # appositive used on first mention, "" for none


@dataclass(frozen=True, slots=True)
class Story:
    """A generated story: what the page shows, before any page-level defects."""

    topic: str
    title: str
    alt_title: str  # another headline for the same copy (republished pages)
    paragraphs: tuple[Paragraph, ...]
    dateline: str | None
    dateline_prefix: str
    lead: str  # first sentence(s) without dateline, for news summaries
    keywords: tuple[str, ...]
    country: str
    city: str


def ap_date(day: dt.date) -> str:
    """`Dec. 23`, `March 5`: the AP style Xinhua datelines use."""
    return f"{v.AP_MONTHS[day.month - 1]} {day.day}"


def _choose_country(rng: random.Random, exclude: tuple[str, ...] = ()) -> v.Country:
    while True:
        roll = rng.random()
        if roll < 0.12:
            country = v.COUNTRIES[0]
        elif roll < 0.18:
            country = v.COUNTRIES[1]
        else:
            country = rng.choice(v.COUNTRIES)
        if country.name not in exclude:
            return country


def _person(rng: random.Random, culture: str) -> tuple[str, str]:
    if culture == "chinese":
        surname = rng.choice(v.LAST_NAMES["chinese"])
        given = "".join(rng.choice(v.CHINESE_SYLLABLES) for _ in range(rng.choice((1, 2, 2))))
        return f"{surname} {given.capitalize()}", surname
    first = rng.choice(v.FIRST_NAMES[culture])
    last = rng.choice(v.LAST_NAMES[culture])
    if culture == "korean":
        return f"{first} {last}", first
    return f"{first} {last}", last


_NO_CHINA_TOPICS = frozenset(
    {
        "trade",
        "health",
        "infrastructure",
        "security",
        "agriculture",
        "culture",
        "energy",
        "politics",
    }
)
TOPIC_WEIGHTS: dict[str, int] = {
    "diplomacy": 12,
    "economy": 10,
    "trade": 8,
    "health": 7,
    "disaster": 6,
    "quake": 3,
    "accident": 7,
    "sports": 8,
    "science": 5,
    "culture": 6,
    "energy": 5,
    "agriculture": 4,
    "politics": 7,
    "markets": 6,
    "security": 4,
    "infrastructure": 5,
}
_TOPIC_NAMES = tuple(TOPIC_WEIGHTS)
_TOPIC_CUM = tuple(accumulate(TOPIC_WEIGHTS.values()))


class StoryContext:
    """Fills template slots for one story, keeping names, places and key figures consistent."""

    def __init__(
        self, rng: random.Random, story_date: dt.date, topic: str, country: v.Country | None = None
    ) -> None:
        self.rng = rng
        self.date = story_date
        self.topic = topic
        exclude = ("China",) if topic in _NO_CHINA_TOPICS else ()
        self.country = country or _choose_country(rng, exclude)
        if rng.random() < 0.4 and self.country.name != "China":
            self.other = v.COUNTRIES[0]
        else:
            self.other = _choose_country(
                rng, (self.country.name, "China") if topic == "trade" else (self.country.name,)
            )
        cities = self.country.cities or (self.country.capital,)
        self.city = (
            rng.choice((self.country.capital, *cities))
            if rng.random() < 0.5
            else rng.choice(cities)
        )
        self.city2 = rng.choice(
            tuple(c for c in (self.country.capital, *cities) if c != self.city) or (self.city,)
        )
        self.org = rng.choice(v.ORGANISATIONS)
        self.values: dict[str, str] = {}
        self.numbers: dict[str, str] = {}
        self.headline_values: dict[str, str] = {}
        self.said: set[str] = set()
        self.headline_phase = True  # headline and lead share their figures and phrases
        self.in_title = False
        self.up = rng.random() < 0.6
        self.mentioned: set[str] = set()
        self.people: dict[str, Person] = {}
        for key, culture in (("p1", self.country.culture), ("p2", self.other.culture)):
            full, short = self._new_person(culture)
            self.people[key] = Person(full, short, "")
        self.people["official"] = self._official()
        self.people["expert"] = self._expert()
        self.people["witness"] = self._witness()

    def _new_person(self, culture: str) -> tuple[str, str]:
        """A name whose short form nobody else in the story has, so "Berg said" is unambiguous."""
        taken = {p.short for p in self.people.values()}
        full, short = _person(self.rng, culture)
        for _ in range(8):
            if short not in taken:
                break
            full, short = _person(self.rng, culture)
        return full, short

    # -- people ---------------------------------------------------------------------------
    def _official(self) -> Person:
        rng, c = self.rng, self.country
        full, short = self._new_person(c.culture)
        role = rng.choice(
            (
                f"{c.adjective} Minister of {rng.choice(v.PORTFOLIOS)}",
                f"spokesperson for the {c.adjective} Ministry of {rng.choice(v.PORTFOLIOS)}",
                f"director general of the {c.adjective} {rng.choice(v.AGENCIES)}",
                f"mayor of {self.city}",
                f"deputy head of the {c.adjective} {rng.choice(v.AGENCIES)}",
                f"permanent secretary in the {c.adjective} Ministry of {rng.choice(v.PORTFOLIOS)}",
            )
        )
        return Person(full, short, role)

    def _expert(self) -> Person:
        rng = self.rng
        home = self.country if rng.random() < 0.7 else self.other
        full, short = self._new_person(home.culture)
        uni_city = rng.choice(home.cities or (home.capital,))
        role = rng.choice(
            (
                f"a professor of {rng.choice(v.DISCIPLINES)} at the University of {uni_city}",
                f"a senior researcher at the {home.adjective} {rng.choice(v.THINK_TANKS)}",
                f"chief economist at {rng.choice(v.COMPANY_STEMS)} {rng.choice(v.COMPANY_KINDS)}",
                f"an analyst with the {rng.choice(v.THINK_TANKS)} in {home.capital}",
                f"director of the {rng.choice(v.THINK_TANKS)}",
            )
        )
        return Person(full, short, role)

    def _witness(self) -> Person:
        rng = self.rng
        full, short = self._new_person(self.country.culture)
        role = rng.choice(
            (
                f"a {rng.randint(24, 68)}-year-old {rng.choice(v.OCCUPATIONS)} in {self.city}",
                f"a {rng.choice(v.OCCUPATIONS)} from {self.city2}",
                f"a resident of {self.city}",
                f"owner of a small business in {self.city}",
            )
        )
        return Person(full, short, role)

    def _mention(self, key: str) -> str:
        person = self.people[key]
        if key in self.mentioned or not person.role:
            return person.short
        self.mentioned.add(key)
        return f"{person.full}, {person.role},"

    def named(self, key: str, *, full: bool) -> str:
        """A person named in a template: the full name first, the short name once introduced."""
        person = self.people[key]
        if full or key not in self.mentioned:
            self.mentioned.add(key)
            return person.full
        return person.short

    # -- numbers ----------------------------------------------------------------------------
    def _number(self, name: str) -> str:
        rng = self.rng
        base = name.rstrip("23")
        value: str
        if base == "n_small":
            value = str(rng.randint(2, 12))
        elif base == "n_dozens":
            value = str(rng.randint(12, 98))
        elif base == "n_hundreds":
            value = str(rng.randint(11, 99) * 10 + rng.randint(0, 9))
        elif base == "n_thousands":
            value = f"{rng.randint(1, 98)},{rng.randint(0, 999):03d}"
        elif base == "n_millions":
            value = f"{rng.randint(1, 40)}.{rng.randint(1, 9)} million"
        elif base == "n_teen":
            value = str(rng.randint(18, 30))
        elif base == "n_months":
            value = (
                _NUMBER_WORDS[min(9, max(2, self.date.month - 1))]
                if self.date.month < 11
                else str(self.date.month - 1)
            )
        elif base == "pct":
            value = f"{rng.randint(0, 14)}.{rng.randint(1, 9)}"
        elif base == "pct_small":
            value = f"{rng.randint(0, 2)}.{rng.randint(1, 99):02d}"
        elif base == "money":
            if rng.random() < 0.6:
                value = f"{rng.randint(1, 19)}.{rng.randint(1, 9)} billion U.S. dollars"
            else:
                value = f"{rng.randint(12, 950)} million {self.country.currency}"
        elif base == "money_short":
            value = f"{rng.randint(1, 19)}.{rng.randint(1, 9)}-bln-USD"
        elif base == "magnitude":
            value = f"{rng.randint(4, 7)}.{rng.randint(0, 9)}"
        elif base in ("lat", "lon"):
            value = f"{rng.randint(1, 60)}.{rng.randint(10, 99)}"
        elif base == "clock":
            value = f"{rng.randint(1, 12)}:{rng.randint(0, 59):02d} {rng.choice(('a.m.', 'p.m.'))}"
        elif base == "minute":
            value = str(rng.randint(3, 88))
        elif base == "score":
            value = f"{rng.randint(1, 4)}-{rng.randint(0, 2)}"
        elif base == "tennis_score":
            value = ", ".join(
                rng.choice(("6-4", "6-3", "7-5", "6-2", "7-6", "6-1"))
                for _ in range(rng.choice((2, 3)))
            )
        elif base == "race_time":
            value = f"2:{rng.randint(3, 12):02d}:{rng.randint(0, 59):02d}"
        elif base == "index_points":
            value = f"{rng.randint(1, 9)},{rng.randint(100, 999)}.{rng.randint(0, 99):02d}"
        elif base == "price":
            value = f"{rng.randint(38, 110)}.{rng.randint(0, 99):02d}"
        elif base == "price_small":
            value = f"{rng.randint(0, 3)}.{rng.randint(1, 99):02d}"
        elif base == "gold_price":
            value = f"{rng.randint(1, 2)},{rng.randint(100, 999)}.{rng.randint(0, 9)}0"
        elif base == "day_num":
            value = str(rng.randint(1, 28))
        else:
            raise KeyError(name)
        return value

    # -- slots ------------------------------------------------------------------------------
    def slot(self, name: str) -> str:
        fixed = self._fixed(name)
        if fixed is not None:
            return fixed
        if name in _GENERIC_POOLS:
            if self.headline_phase and name in _HEADLINE_SHARED:
                if name not in self.headline_values:
                    self.headline_values[name] = self.expand(self.rng.choice(_GENERIC_POOLS[name]))
                return self.headline_values[name]
            pool = _GENERIC_POOLS[name]
            choice = self.rng.choice(pool)
            if pool is v.QUOTE_BODIES or pool is v.CLAUSES:
                # Nobody says the same thing twice in one story.
                for _ in range(4):
                    if choice not in self.said:
                        break
                    choice = self.rng.choice(pool)
                self.said.add(choice)
            return self.expand(choice)
        if name in _TREND:
            return self.rng.choice(_TREND[name][0 if self.up else 1])
        if name in self.values:
            return self.values[name]
        if name == "agency":
            self.values[name] = self.rng.choice(v.TOPIC_AGENCIES[self.topic])
            return self.values[name]
        pool_name = name.rstrip("23")
        if pool_name in v.TOPIC_POOLS or pool_name in _EXTRA_POOLS:
            pool = v.TOPIC_POOLS.get(pool_name) or _EXTRA_POOLS[pool_name]
            value = self.rng.choice(pool)
            if name in v.STICKY_SLOTS:
                self.values[name] = value
            return value
        if name.endswith("_cap") or name[0].isupper():
            base = name.removesuffix("_cap").lower()
            text = self.slot(base)
            return text[:1].upper() + text[1:]
        if self.headline_phase and name in v.STICKY_FIGURES:
            if name not in self.numbers:
                self.numbers[name] = self._number(name)
            value = self.numbers[name]
        else:
            value = self._number(name)
        if name.startswith("n_small") and not self.in_title and len(value) == 1:
            return _NUMBER_WORDS[
                int(value)
            ]  # wire style: numbers below 10 in words, except in headlines
        return value

    def _fixed(self, name: str) -> str | None:
        c, o = self.country, self.other
        handler = _FIXED.get(name)
        if handler is not None:
            return handler(self, c, o)
        if name in ("official", "official_short", "person", "expert", "witness"):
            key = {"official_short": "official"}.get(name, name)
            if key == "person":
                key = self.rng.choice(("official", "expert", "witness", "official"))
            return self._mention(key)
        return None

    def expand(self, template: str) -> str:
        return _SLOT.sub(lambda m: self.slot(m.group(1)), template)

    def sentence(self, template: str) -> str:
        text = self.expand(template)
        if text.startswith('"'):
            return '"' + text[1:2].upper() + text[2:]
        return text[:1].upper() + text[1:]


def _region_of(c: v.Country, rng: random.Random) -> str:
    direction = rng.choice(v.DIRECTIONS)
    return f"the {direction} {c.name}" if c.the else f"{direction} {c.name}"


_EXTRA_POOLS: dict[str, tuple[str, ...]] = {
    "sector": v.SECTORS,
    "product": v.PRODUCTS,
    "second_product": v.PRODUCTS,
    "official_title": (
        "Foreign Minister",
        "Vice President",
        "Trade Minister",
        "Finance Minister",
        "Deputy Prime Minister",
        "Foreign Minister",
    ),
    "stadium": ("National", "Olympic", "Municipal", "Unity", "Independence", "Peace"),
    "official_short_generic": (
        "a spokesperson for the city government",
        "a local health official",
        "the provincial health bureau",
        "a senior health ministry official",
    ),
}

_FixedHandler = Callable[[StoryContext, v.Country, v.Country], str]
_FIXED: dict[str, _FixedHandler] = {
    "Country": lambda s, c, o: c.name,
    "country": lambda s, c, o: c.full_name,
    "The_country": lambda s, c, o: c.full_name[:1].upper() + c.full_name[1:],
    "the_country": lambda s, c, o: c.full_name,
    "the_country_short": lambda s, c, o: c.full_name,
    "country_plain": lambda s, c, o: c.full_name,
    "Country_adj": lambda s, c, o: c.adjective,
    "country_adj": lambda s, c, o: c.adjective,
    "capital": lambda s, c, o: c.capital,
    "city": lambda s, c, o: s.city,
    "City": lambda s, c, o: s.city,
    "city2": lambda s, c, o: s.city2,
    "currency": lambda s, c, o: c.currency,
    "fx_currency": lambda s, c, o: fx_currency(c),
    "Fx_currency": lambda s, c, o: fx_currency(c)[:1].upper() + fx_currency(c)[1:],
    "other_country_full": lambda s, c, o: o.full_name,
    "other_country_adj": lambda s, c, o: o.adjective,
    "other_country_short": lambda s, c, o: o.name,
    "other_capital": lambda s, c, o: o.capital,
    "chinese_city": lambda s, c, o: s.values.setdefault(
        "chinese_city", s.rng.choice(v.COUNTRIES[0].cities)
    ),
    "region_of_country": lambda s, c, o: s.values.setdefault(
        "region_of_country", _region_of(c, s.rng)
    ),
    "org": lambda s, c, o: s.org,
    "org_short": lambda s, c, o: v.ORGANISATION_ABBREVIATIONS[s.org],
    "p1_name": lambda s, c, o: s.named("p1", full=True),
    "p2_name": lambda s, c, o: s.named("p2", full=True),
    "p1_short": lambda s, c, o: s.named("p1", full=False),
    "p2_short": lambda s, c, o: s.named("p2", full=False),
    "weekday": lambda s, c, o: v.WEEKDAYS[s.date.weekday()],
    "weekday_next": lambda s, c, o: v.WEEKDAYS[(s.date.weekday() + s.rng.randint(1, 5)) % 7],
    "month": lambda s, c, o: v.MONTHS[(s.date.month - 2) % 12],
    "month_next": lambda s, c, o: v.MONTHS[s.date.month % 12],
    "year": lambda s, c, o: str(s.date.year),
    "year_next": lambda s, c, o: str(s.date.year + 1),
    "year_past": lambda s, c, o: str(s.date.year - s.rng.randint(2, 15)),
    "year_target": lambda s, c, o: str(
        next(y for y in (2025, 2030, 2035, 2050) if y > s.date.year + 1)
    ),
    "ordinal": lambda s, c, o: s.rng.choice(v.ORDINALS),
    "team": lambda s, c, o: s.values.setdefault(
        "team", f"{s.city} {s.rng.choice(v.TOPIC_POOLS['team_stem'])}"
    ),
    "team2": lambda s, c, o: s.values.setdefault(
        "team2", f"{s.city2} {s.rng.choice(v.TOPIC_POOLS['team_stem'])}"
    ),
    "disaster_article": lambda s, c, o: _with_article(s.slot("disaster")),
    "Disaster_cap": lambda s, c, o: s.slot("disaster").capitalize(),
    "Magnitude": lambda s, c, o: s.slot("magnitude"),
    "ap_date": lambda s, c, o: ap_date(s.date),
}


_SINGULAR_CURRENCY = {
    "reais": "real",
    "soles": "sol",
    "kronor": "krona",
    "kroner": "krone",
    "korunas": "koruna",
    "U.S. dollars": "euro",  # a U.S. story about "the currency" is about the dollar's rivals
}


def fx_currency(country: v.Country) -> str:
    """The currency as a market report names it: `Kenyan shilling`, `euro`, `Chinese yuan`."""
    plural = country.currency
    singular = _SINGULAR_CURRENCY.get(plural) or (plural[:-1] if plural.endswith("s") else plural)
    if singular in ("euro",) or singular[:1].isupper():
        return singular
    return f"{country.adjective} {singular}"


def _with_article(noun: str) -> str:
    return f"an {noun}" if noun[:1] in "aeiou" else f"a {noun}"


def choose_topic(rng: random.Random) -> str:
    roll = rng.random() * _TOPIC_CUM[-1]
    for name, bound in zip(_TOPIC_NAMES, _TOPIC_CUM, strict=True):
        if roll < bound:
            return name
    return _TOPIC_NAMES[-1]


def make_dateline(rng: random.Random, ctx: StoryContext, *, tight: bool = False) -> tuple[str, str]:
    """(place, prefix) such as ("BRISBANE, Australia", "BRISBANE, Australia, Jan. 1 (Xinhua) -- ")."""
    c = ctx.country
    city = ctx.city
    if city == c.capital or c.cities_alone or city in v.DATELINE_ALONE:
        place = city.upper()
    else:
        place = f"{city.upper()}, {c.full_name}"
    gap = "" if tight else " "
    return place, f"{place}, {ap_date(ctx.date)}{gap}(Xinhua) -- "


_PREFIX_TITLES: dict[str, tuple[str, ...]] = {
    "Interview: ": (
        "Interview: {object_cap} key to {Country}'s future, says {country_adj} expert",
        "Interview: {Country_adj} official sees bright prospects for cooperation with {other_country_full}",
        "Interview: {Country} eyes closer ties with China in {object}, says minister",
        "Interview: {org_short} official says {challenge} calls for global response",
    ),
    "Commentary: ": (
        "Commentary: {Country}'s push for {object} deserves support",
        "Commentary: Dialogue, not confrontation, is the way forward on {object}",
        "Commentary: Why {challenge} calls for closer cooperation",
    ),
}


def _title(ctx: StoryContext, templates: tuple[str, ...], prefix: str = "") -> str:
    ctx.in_title = True
    title = ""
    for _ in range(12):
        title = prefix + ctx.sentence(ctx.rng.choice(templates))
        if 30 <= len(title) <= 120:
            break
    else:
        if len(title) > 120:
            title = title[:117].rstrip() + "..."
        for tail in (f" in {ctx.city}", ", officials say", " -- report"):
            if len(title) < 30:
                title += tail
    ctx.in_title = False
    return title


def make_story(
    rng: random.Random,
    story_date: dt.date,
    *,
    topic: str | None = None,
    paragraphs: int | None = None,
    with_dateline: bool = True,
    tight_dateline: bool = False,
    prefix: str = "",
) -> Story:
    """One story: headline, alternative headline and body paragraphs (dateline and Enditem included)."""
    topic = topic or choose_topic(rng)
    ctx = StoryContext(rng, story_date, topic)
    if prefix == "China Focus: " and ctx.country.name != "China":
        prefix = "Feature: "
    spec = v.TOPICS[topic]
    titles, leads = rng.choice(spec.angles)
    if prefix in _PREFIX_TITLES:
        title = _title(ctx, _PREFIX_TITLES[prefix])
    else:
        title = _title(ctx, titles, prefix)
    alt_title = title
    for _ in range(6):
        alt_title = _title(ctx, titles)  # the same angle: another headline for the same copy
        if alt_title != title:
            break
    lead = ctx.sentence(rng.choice(leads))
    ctx.headline_phase = False
    dateline: str | None = None
    dateline_prefix = ""
    if with_dateline:
        dateline, dateline_prefix = make_dateline(rng, ctx, tight=tight_dateline)
    count = paragraphs if paragraphs is not None else _paragraph_count(rng, prefix)
    details = list(spec.details)
    generic = list(v.GENERIC_SENTENCES)
    rng.shuffle(details)
    rng.shuffle(generic)
    body: list[Paragraph] = [Paragraph(dateline_prefix + lead)]
    subheads = (
        prefix in ("Feature: ", "Spotlight: ", "China Focus: ", "Xinhua Headlines: ") and count >= 8
    )
    for index in range(1, count):
        if subheads and index in (count // 3, 2 * count // 3):
            body.append(Paragraph(rng.choice(v.SUBHEADS), "subhead"))
        sentences = []
        for _ in range(rng.choice((1, 1, 2, 2, 2, 3))):
            roll = rng.random()
            if roll < 0.45 and details:
                template = details.pop()
            elif roll < 0.75 and generic:
                template = generic.pop()
            else:
                template = rng.choice(v.QUOTE_SENTENCES)
            sentences.append(ctx.sentence(template))
        body.append(Paragraph(" ".join(sentences)))
    keywords = (ctx.country.name, ctx.other.name, ctx.people["p1"].full, ctx.city)
    return Story(
        topic=topic,
        title=title,
        alt_title=alt_title,
        paragraphs=tuple(body),
        dateline=dateline,
        dateline_prefix=dateline_prefix,
        lead=lead,
        keywords=keywords,
        country=ctx.country.name,
        city=ctx.city,
    )


def _paragraph_count(rng: random.Random, prefix: str) -> int:
    if prefix in (
        "Feature: ",
        "Spotlight: ",
        "Interview: ",
        "China Focus: ",
        "Xinhua Headlines: ",
        "Roundup: ",
    ):
        return rng.randint(9, 20)
    return rng.choice((3, 4, 4, 5, 5, 6, 6, 7, 8, 9, 10, 12, 14))


def photo_caption(rng: random.Random, story_date: dt.date, country: str, city: str) -> str:
    """A caption paragraph with a Xinhua photo credit."""
    country_plain = next((c.full_name for c in v.COUNTRIES if c.name == country), country)
    text = rng.choice(v.PHOTO_CAPTIONS).format(
        city=city, country_plain=country_plain, ap_date=ap_date(story_date), year=story_date.year
    )
    if country == "China":
        text = text.replace(", China,", ",").replace(", China.", ".")
    if rng.random() < 0.6:
        return f"{text} (Xinhua/{rng.choice(v.PHOTOGRAPHERS)})"
    return f"{text} (Photo by {rng.choice(v.FREELANCE_PHOTOGRAPHERS)}/Xinhua)"


def summary_item(story: Story, rng: random.Random) -> str:
    """A news summary item: `CITY -- lead (Country-Slug)`."""
    slug_words = v.SUMMARY_SLUG_WORDS[story.topic]
    country = "U.S." if story.country == "United States" else story.country.replace(" ", "")
    slug = "-".join((country, *rng.sample(slug_words, k=rng.choice((1, 2)))))
    return f"{story.city.upper()} -- {story.lead} ({slug})"


def summary_title(gmt_hour: int, day: dt.date) -> str:
    return f"Xinhua world news summary at {gmt_hour:02d}00 GMT, {ap_date(day)}"


# -- near-misses for deduplication: shared boilerplate and shared quotes ---------------------

MARKET_BOILERPLATE: tuple[str, ...] = (
    "The Shanghai Composite Index tracks all A shares and B shares listed on the Shanghai Stock"
    " Exchange, while the Shenzhen Component Index reflects the price movements of 500"
    " representative stocks listed on the Shenzhen Stock Exchange.",
    "A shares are traded in the Chinese currency renminbi and are open to domestic investors and"
    " qualified foreign institutional investors, while B shares are quoted in U.S. dollars in"
    " Shanghai and in Hong Kong dollars in Shenzhen.",
    "Analysts said market sentiment would continue to be shaped by the pace of the economic"
    " recovery, liquidity conditions and policy signals from the regulators in the coming weeks.",
)
UPDATE_SENTENCES: tuple[str, ...] = (
    "The figure is expected to rise as rescue work continues, local authorities said.",
    "Further details were not immediately available, according to officials at the scene.",
    "Authorities have set up an emergency response team to handle the aftermath.",
    "An investigation into the cause is under way, police said later on the same day.",
)


def market_report(rng: random.Random, day: dt.date) -> Story:
    """The daily Chinese stock market close: new figures around the same boilerplate every day."""
    up = rng.random() < 0.55
    direction, verb, change = ("higher", "rose", "up") if up else ("lower", "fell", "down")

    def points() -> str:
        return f"{rng.randint(2, 14)},{rng.randint(0, 999):03d}.{rng.randint(0, 99):02d}"

    def pct() -> str:
        return f"{rng.randint(0, 2)}.{rng.randint(1, 99):02d}"

    weekday = v.WEEKDAYS[day.weekday()]
    dateline_prefix = f"SHANGHAI, {ap_date(day)} (Xinhua) -- "
    lead = (
        f"Chinese stocks closed {direction} on {weekday}, with the benchmark Shanghai Composite"
        f" Index {change} {pct()} percent at {points()} points."
    )
    sectors = rng.sample(v.SECTORS, 3)
    paragraphs = (
        Paragraph(dateline_prefix + lead),
        Paragraph(
            f"The Shenzhen Component Index {verb} {pct()} percent to {points()} points, and the"
            f" ChiNext Index of growth enterprises {verb} {pct()} percent to {points()} points."
        ),
        Paragraph(
            f"Combined turnover on the two bourses reached {rng.randint(400, 1500)}."
            f"{rng.randint(1, 9)} billion yuan, against {rng.randint(400, 1500)}.{rng.randint(1, 9)}"
            f" billion yuan on the previous trading day."
        ),
        Paragraph(
            f"Shares of {sectors[0]} and {sectors[1]} companies led the {'gains' if up else 'losses'},"
            f" while {sectors[2]} stocks {'lagged behind' if up else 'held up better'}."
        ),
        *(Paragraph(text) for text in MARKET_BOILERPLATE),
    )
    return Story(
        topic="markets",
        title=f"Chinese stocks close {direction} on {weekday}",
        alt_title=f"China's stock market ends {direction} on {weekday}",
        paragraphs=paragraphs,
        dateline="SHANGHAI",
        dateline_prefix=dateline_prefix,
        lead=lead,
        keywords=("China", "stocks", "Shanghai", "Shenzhen"),
        country="China",
        city="Shanghai",
    )


def briefing_pair(rng: random.Random, day: dt.date) -> tuple[Story, Story]:
    """Two different stories from one press briefing: the same spokesperson, the same quotes."""
    ctx = StoryContext(rng, day, "diplomacy", country=v.COUNTRIES[0])
    ctx.headline_phase = False
    spokesperson = ctx.people["p1"]
    weekday = v.WEEKDAYS[day.weekday()]
    dateline_prefix = f"BEIJING, {ap_date(day)} (Xinhua) -- "
    shared = (
        Paragraph(
            f"{spokesperson.full}, spokesperson for the Chinese Foreign Ministry, made the remarks"
            f" at a regular press briefing on {weekday} in response to questions from reporters."
        ),
        Paragraph(
            f'"{ctx.sentence(rng.choice(v.QUOTE_BODIES))}. {ctx.sentence(rng.choice(v.QUOTE_BODIES))}.'
            f' China is ready to work with all parties {rng.choice(v.PURPOSES)}," {spokesperson.short}'
            " told the briefing."
        ),
    )
    stories: list[Story] = []
    for _ in range(2):
        story = make_story(rng, day, topic="diplomacy", paragraphs=rng.randint(6, 9))
        own = story.paragraphs[1:]
        body = (Paragraph(dateline_prefix + story.lead), shared[0], *own[:2], shared[1], *own[2:])
        stories.append(
            dataclasses.replace(
                story,
                paragraphs=body,
                dateline="BEIJING",
                dateline_prefix=dateline_prefix,
                alt_title=story.title,
            )
        )
    return stories[0], stories[1]
