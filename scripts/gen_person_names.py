#!/usr/bin/env python3
"""Writes src/deid/person_names.inc: the name list of the name detector (detect_names.c) and the
common English words it never takes for a name without a name context.

  - person_first_names, person_last_names: the first and last names (romanized ones too) of Faker's
    person providers (MIT/Expat licence, Copyright 2012 Daniele Faraglia; Debian package
    python3-fake-factory) in every locale except HELDOUT_LOCALES, and of the person definitions of
    faker-js (npm package @faker-js/faker, MIT licence, Copyright 2022-2025 the Faker contributors)
    in every locale except FAKERJS_HELDOUT, lower-cased, one word each (multi-word names are split,
    particles such as "de" or "van" dropped);
  - place_words: the words of faker-js's city, county, state and country names (same licence): a
    listed name after "in", "to", "from", ... ("moved to Jackson") is taken only when it is no place;
  - common_words: the lower-case words of SCOWL (Kevin Atkinson's Spell Checker Oriented Word Lists,
    Debian package scowl; permissive licence, see data/NOTICE), english-words and american-words
    sizes 10 to 50, possessives dropped. A listed name that is also a common word ("will", "grant",
    "brown") is ambiguous: the detector redacts it only in a name context. The single words of the
    clinical terms (src/deid/clinical_terms.inc: "dysphagia", "gerd") count as common words too,
    unless they are names;
  - known_words: the rarer words of SCOWL (sizes 55 to 70, "dysphagia", "erythema", "lobar") that are
    neither common words nor names of at least NAME_SOURCES of the lists above (a locale's person
    provider of either Faker): in lower-case or all-capitals text, a weak name context ("accompanied
    by X") does not take them for names, and a name among them that few lists hold ("lobar", "vena",
    "serine", "versa") is taken without a context only where it is written as a name inside a
    sentence; "anna", "henry" or "dexter", names of many lists, are names anywhere. Clinical
    abbreviations that are names ("gerd", "orif", "ros") are known words too.

HELDOUT_LOCALES are left out on purpose: bench/phi_plant.py --names heldout draws planted names
from them (minus any name that is in this list), so the benchmark also measures the detector on
names it has never seen. faker-js is read with Node.js from the folder FAKERJS (default
build/fakerjs), where `npm install --prefix build/fakerjs @faker-js/faker@10.6.0` puts it. Run again
to rebuild the file byte for byte:

    python3 scripts/gen_person_names.py
"""
import importlib
import json
import os
import re
import subprocess
import sys

FAKER_PERSON = "/usr/lib/python3/dist-packages/faker/providers/person"
SCOWL = "/usr/share/dict/scowl"
HELDOUT_LOCALES = ("et_EE", "lt_LT", "lv_LV", "sl_SI", "id_ID", "tw_GH")
FAKERJS = os.environ.get("FAKERJS", "build/fakerjs")
FAKERJS_VERSION = "10.6.0"
FAKERJS_HELDOUT = ("lv", "sl_SI", "id_ID")  # the faker-js locales of HELDOUT_LOCALES
# Every string of a faker-js locale's person first/middle/last names and location place names.
FAKERJS_DUMP = r"""
import { allLocales } from '@faker-js/faker';
const flat = (v) => v == null ? [] : Array.isArray(v) ? v.flat(Infinity).filter(x => typeof x === 'string')
    : typeof v === 'object' ? Object.values(v).flatMap(flat) : [];
const out = {};
for (const [loc, def] of Object.entries(allLocales)) {
  const p = def.person || {}, l = def.location || {};
  out[loc] = { first: flat(p.first_name).concat(flat(p.middle_name)), last: flat(p.last_name),
               places: flat(l.city_name).concat(flat(l.county), flat(l.state), flat(l.country)) };
}
process.stdout.write(JSON.stringify(out));
"""
SCOWL_SIZES = (10, 20, 35, 40, 50)
KNOWN_SIZES = (55, 60, 70)
NAME_SOURCES = 3
# Clinical abbreviations that name lists hold ("gerd", "orif", "ros"): known words, so a lower-case
# or all-capitals note's "gerd" needs a name context.
# A note's section words and abbreviations ("Resp: clear", "Meds: none"): common words, never names.
CLINICAL_SECTIONS = ("resp", "pulm", "derm", "endo", "meds", "ext", "heent", "msk", "cv", "gi", "neuro", "hem",
                     "onc", "psych", "cardio", "gyn", "ob", "uro", "nephro", "rheum", "ent", "peds", "labs", "dx",
                     "hx", "rx", "tx", "sx", "fx", "pmh", "psh", "fhx", "shx", "hpi", "exam", "vs", "neg", "pos",
                     "abd", "lmp", "edd", "ecg", "ekg", "cxr", "eomi", "perrla", "ctab", "rrr", "nad", "wnl")
CLINICAL_ABBREVIATIONS = ("abd", "aki", "ana", "anca", "asa", "gerd", "gu", "kub", "lima", "lue", "nicu", "orif",
                          "rima", "ros", "tia")
PARTICLES = {"de", "del", "della", "der", "den", "des", "di", "da", "das", "do", "dos", "du", "la", "le", "van",
             "von", "ten", "ter", "bin", "binti", "al", "el", "ibn", "y", "e", "i", "zu", "af", "av", "st"}


def names_of(values):
    if isinstance(values, dict):
        values = list(values.keys())
    return [v for v in values if isinstance(v, str)]


def locale_names(locale):
    """(first names, last names) of one Faker person locale."""
    sys.path.insert(0, "/usr/lib/python3/dist-packages")
    p = importlib.import_module(f"faker.providers.person.{locale}").Provider
    first, last = [], []
    for attr in sorted(dir(p)):  # first_names_female, first_romanized_names, unisex_last_names, ...
        if attr.startswith("_") or "kana" in attr:
            continue
        if re.fullmatch(r"first_(romanized_)?names(_\w+)?", attr):
            first += names_of(getattr(p, attr, ()) or ())
        elif re.fullmatch(r"(\w+_)?last_(romanized_)?names(_\w+)?", attr):
            last += names_of(getattr(p, attr, ()) or ())
    return first, last


def fakerjs():
    """{locale: {first, last, places}} of faker-js, read with Node.js."""
    pkg = os.path.join(FAKERJS, "node_modules", "@faker-js", "faker", "package.json")
    if not os.path.exists(pkg):
        sys.exit(f"gen_person_names: no faker-js in {FAKERJS}: npm install --prefix {FAKERJS} "
                 f"@faker-js/faker@{FAKERJS_VERSION}")
    version = json.load(open(pkg))["version"]
    if version != FAKERJS_VERSION:
        sys.exit(f"gen_person_names: {pkg} is faker-js {version}, not {FAKERJS_VERSION}")
    out = subprocess.run(["node", "--input-type=module", "-e", FAKERJS_DUMP], cwd=FAKERJS, check=True,
                         capture_output=True, text=True).stdout
    return {loc: v for loc, v in json.loads(out).items() if loc not in FAKERJS_HELDOUT}


def words(name):
    """The lower-case words of a name, particles and single letters dropped."""
    out = []
    for w in re.split(r"[\s\-]+", name.strip()):
        w = w.strip(".,()").lower()
        if len(w) >= 2 and w not in PARTICLES and all(c.isalpha() or c in "'’" for c in w):
            out.append(w)
    return out


def person_locales():
    return sorted(d for d in os.listdir(FAKER_PERSON)
                  if os.path.isdir(os.path.join(FAKER_PERSON, d)) and not d.startswith("_"))


def name_sources():
    """[(first names, last names)] of each locale of both Fakers, held-out locales left out."""
    out = [locale_names(loc) for loc in person_locales() if loc not in HELDOUT_LOCALES]
    out += [(v["first"], v["last"]) for v in fakerjs().values()]
    return [({w for n in f for w in words(n)}, {w for n in l for w in words(n)}) for f, l in out]


def name_list():
    first, last = set(), set()
    for f, l in name_sources():
        first |= f
        last |= l
    return sorted(first), sorted(last)


def widespread_names():
    """Names that at least NAME_SOURCES locales' lists hold."""
    seen = {}
    for f, l in name_sources():
        for w in f | l:
            seen[w] = seen.get(w, 0) + 1
    return {w for w, n in seen.items() if n >= NAME_SOURCES}


def place_words():
    out = set()
    for v in fakerjs().values():
        for n in v["places"]:
            out.update(w for w in words(n) if len(w) >= 3)
    return sorted(out)


def clinical_words(names):
    terms = re.findall(r'"([^"]*)"', open("src/deid/clinical_terms.inc", encoding="utf-8").read())
    return {w for t in terms for w in re.findall(r"[^\W\d_]{3,}", t) if w not in names}


def scowl(sizes):
    out = set()
    for kind in ("english-words", "american-words"):
        for size in sizes:
            path = f"{SCOWL}/{kind}.{size}"
            if not os.path.exists(path):
                continue
            for w in open(path, encoding="latin-1" if size > 90 else "utf-8"):
                w = w.strip()
                if w.endswith("'s"):
                    continue
                if w and w == w.lower() and w.isalpha():
                    out.add(w)
    return out


def common_words(names=frozenset()):
    return sorted(clinical_words(names) | scowl(SCOWL_SIZES) | (set(CLINICAL_SECTIONS) - set(CLINICAL_ABBREVIATIONS)))


def c_array(name, values):
    out = [f"static const char *const {name}[] = {{"]
    line = "   "
    for v in values:
        item = ' "' + v.replace("\\", "\\\\").replace('"', '\\"') + '",'
        if len(line) + len(item) > 110:
            out.append(line)
            line = "   "
        line += item
    out.append(line)
    out.append("};")
    return out


def main():
    first, last = name_list()
    common = common_words(set(first) | set(last))
    out = ["/* person_names.inc: generated by scripts/gen_person_names.py from Faker's person providers (MIT/Expat",
           " * licence, Copyright 2012 Daniele Faraglia), faker-js's person and location definitions (MIT licence,",
           " * Copyright 2022-2025 the Faker contributors) and SCOWL's English word lists (Kevin Atkinson); do not",
           " * edit. Names and words are lower case. */"]
    out += c_array("person_first_names", first)
    out += c_array("person_last_names", last)
    out += c_array("common_words", common)
    known = sorted((scowl(KNOWN_SIZES) - set(common) - widespread_names()) | set(CLINICAL_ABBREVIATIONS))
    out += c_array("known_words", known)
    places = place_words()
    out += c_array("place_words", places)
    with open("src/deid/person_names.inc", "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")
    amb = len((set(first) | set(last)) & set(common))
    print(f"{len(first)} first names, {len(last)} last names ({amb} also common words), {len(common)} common words, "
          f"{len(known)} known words, {len(places)} place words")


if __name__ == "__main__":
    main()
