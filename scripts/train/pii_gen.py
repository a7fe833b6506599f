"""pii_gen.py: seeded generator of synthetic clinical PII training data. Templates come from the
ACI-bench clinical notes (patient names/ages from their metadata, doctor names and dates found in
the text become placeholders, plus a record header) and from the masked presidio records; fake
values come from the lists below. Whole templates are held out for evaluation.

Writes OUT/train.jsonl and OUT/heldout.jsonl: {"text", "spans": [{"start","end","label"}]}
(code-point offsets), the input format of `openmed eval --spans`.

Usage: pii_gen.py --data "$OPENMED_TRAIN_DATA" --out build-train/pii [--seed 7]"""
import argparse
import csv
import json
import os
import random
import re

FIRST = ("James Mary John Patricia Robert Jennifer Michael Linda William Elizabeth David Barbara "
         "Richard Susan Joseph Jessica Thomas Sarah Charles Karen Christopher Nancy Daniel Lisa "
         "Matthew Betty Anthony Margaret Mark Sandra Donald Ashley Steven Kimberly Paul Emily Andrew "
         "Donna Joshua Michelle Kenneth Dorothy Kevin Carol Brian Amanda George Melissa Edward "
         "Deborah Ronald Stephanie Timothy Rebecca Jason Sharon Jeffrey Laura Ryan Cynthia Jacob "
         "Kathleen Gary Amy Nicholas Shirley Eric Angela Jonathan Helen Stephen Anna Larry Brenda "
         "Justin Pamela Scott Nicole Brandon Emma Benjamin Samantha Samuel Katherine Gregory "
         "Christine Frank Debra Alexander Rachel Raymond Catherine Patrick Carolyn Jack Janet Dennis "
         "Ruth Jerry Maria Tyler Heather Aaron Diane Jose Virginia Adam Julie Henry Joyce Nathan "
         "Victoria Douglas Olivia Zachary Kelly Peter Christina Kyle Lauren Walter Joan Ethan "
         "Evelyn Jeremy Judith Harold Megan Keith Cheryl Christian Andrea Roger Hannah Noah Martha "
         "Gerald Jacqueline Carl Frances Terry Gloria Sean Ann Austin Teresa Arthur Kathryn Lawrence "
         "Sara Jesse Janice Dylan Jean Bryan Alice Joe Madison Jordan Doris Billy Abigail Bruce "
         "Julia Albert Judy Willie Grace Gabriel Denise Logan Amber Alan Marilyn Juan Beverly Wayne "
         "Danielle Roy Theresa Ralph Sophia Randy Marie Eugene Diana Vincent Brittany Russell "
         "Natalie Elijah Isabella Louis Charlotte Bobby Rose Philip Alexis Johnny Kayla Priya Wei "
         "Mohammed Fatima Hiroshi Aiko Carlos Lucia Ahmed Ngozi Dmitri Olga Raj Mei Kwame Ines "
         "Mateo Sofia Arjun Leila Tomasz Ingrid Yusuf Amara Diego Chloe Omar Zara").split()
LAST = ("Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
        "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris "
        "Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen "
        "Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez "
        "Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy "
        "Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox "
        "Ward Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price "
        "Alvarez Castillo Sanders Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell "
        "Sullivan Bell Coleman Butler Henderson Barnes Gonzales Fisher Vasquez Simmons Romero Jordan "
        "Patterson Alexander Hamilton Graham Reynolds Griffin Wallace Moreno West Cole Hayes Bryant "
        "Herrera Gibson Ellis Tran Medina Aguilar Stevens Murray Ford Castro Marshall Owens Harrison "
        "Fernandez McDonald Woods Washington Kennedy Wells Vargas Henry Chen Freeman Webb Tucker "
        "Guzman Burns Crawford Olson Simpson Porter Hunter Gordon Mendez Silva Shaw Snyder Mason "
        "Dixon Munoz Hunt Hicks Holmes Palmer Wagner Black Robertson Boyd Rose Stone Salazar Fox "
        "Warren Mills Meyer Rice Schmidt Garza Daniels Ferguson Nichols Stephens Soto Weaver Ryan "
        "Gardner Payne Grant Dunn Kowalski Okafor Nakamura Yamamoto Singh Kumar Haddad Novak "
        "Ivanova Larsen Lindqvist O'Brien McAllister Van der Berg Al-Sayed Mbeki Dubois Rossi").split()
STREETS = ("Main Oak Pine Maple Cedar Elm Washington Lake Hill Park Sunset Highland Church Walnut "
           "Spring Meadow Ridge River Forest Willow Chestnut Lincoln Jefferson Franklin Madison "
           "Adams Jackson Cherry Birch Dogwood Magnolia Harbor Bay Mill Union Center Prospect "
           "Broad Market Water Bridge Grove Orchard Valley Summit Lakeview Fairview").split()
SUFFIX = ["Street", "St", "Avenue", "Ave", "Road", "Rd", "Boulevard", "Blvd", "Lane", "Ln", "Drive",
          "Dr", "Court", "Ct", "Way", "Place", "Terrace", "Circle", "Parkway"]
CITIES = [("Springfield", "IL"), ("Boston", "MA"), ("Austin", "TX"), ("Denver", "CO"),
          ("Seattle", "WA"), ("Portland", "OR"), ("Phoenix", "AZ"), ("Atlanta", "GA"),
          ("Nashville", "TN"), ("Columbus", "OH"), ("Madison", "WI"), ("Richmond", "VA"),
          ("Albany", "NY"), ("Raleigh", "NC"), ("Tucson", "AZ"), ("Omaha", "NE"), ("Tampa", "FL"),
          ("Sacramento", "CA"), ("San Diego", "CA"), ("Salt Lake City", "UT"), ("Baltimore", "MD"),
          ("Pittsburgh", "PA"), ("Louisville", "KY"), ("Milwaukee", "WI"), ("Des Moines", "IA"),
          ("Burlington", "VT"), ("Providence", "RI"), ("Charleston", "SC"), ("Boise", "ID"),
          ("Anchorage", "AK"), ("Honolulu", "HI"), ("Little Rock", "AR"), ("New Orleans", "LA"),
          ("Kansas City", "MO"), ("Minneapolis", "MN"), ("Cleveland", "OH"), ("Fresno", "CA"),
          ("Toronto", "ON"), ("Dublin", ""), ("Lyon", ""), ("Manchester", ""), ("Melbourne", "")]
STATES = ["Illinois", "Massachusetts", "Texas", "Colorado", "Washington", "Oregon", "Arizona",
          "Georgia", "Tennessee", "Ohio", "Wisconsin", "Virginia", "New York", "California",
          "Florida", "Michigan", "Minnesota", "Maryland", "Pennsylvania", "Kentucky"]
COUNTRIES = ["United States", "USA", "Canada", "Mexico", "Ireland", "France", "Germany", "India",
             "Nigeria", "Japan", "Brazil", "Australia", "United Kingdom", "Spain", "Italy", "Kenya"]
ORG_A = ("Mercy St. Luke's Riverside Lakeside Northwestern Good Samaritan Valley Summit Harbor "
         "Pinecrest Memorial Sacred Heart Providence Cedar Mountain Bayview Hillcrest Unity "
         "Evergreen Meridian").split()
ORG_B = ["General Hospital", "Medical Center", "Regional Hospital", "Health System", "Clinic",
         "Family Practice", "Community Hospital", "Children's Hospital", "Cardiology Associates",
         "Orthopedic Group", "Imaging Center", "Pharmacy", "Health Partners", "Insurance Company",
         "Labs", "Rehabilitation Center", "Urgent Care"]
COMPANIES = ["Acme Corp", "Globex", "Initech", "Umbrella Health", "Stark Industries", "Wayne Enterprises",
             "Blue Cross Blue Shield", "Aetna", "Kaiser Permanente", "UnitedHealthcare", "Medicare",
             "Walgreens", "CVS Pharmacy", "Quest Diagnostics", "LabCorp", "Pfizer", "Contoso"]
DOMAINS = ["example.com", "example.org", "mail.com", "gmail.com", "yahoo.com", "outlook.com",
           "healthmail.net", "clinic.org", "hospital.org", "proton.me"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]


class Faker:
    """Seeded fake values, one method per label."""

    def __init__(self, rng):
        self.r = rng

    def first(self):
        return self.r.choice(FIRST)

    def last(self):
        return self.r.choice(LAST)

    def date(self):
        r = self.r
        y, m, d = r.randint(1935, 2024), r.randint(1, 12), r.randint(1, 28)
        f = r.randrange(7)
        if f == 0:
            return f"{m:02d}/{d:02d}/{y}"
        if f == 1:
            return f"{m}/{d}/{y % 100:02d}"
        if f == 2:
            return f"{MONTHS[m-1]} {d}, {y}"
        if f == 3:
            return f"{y}-{m:02d}-{d:02d}"
        if f == 4:
            return f"{d} {MONTHS[m-1][:3]} {y}"
        if f == 5:
            return f"{MONTHS[m-1][:3]}. {d}, {y}"
        return f"{d:02d}.{m:02d}.{y}"

    def age(self):
        return str(self.r.choice([self.r.randint(18, 95), self.r.randint(1, 17), self.r.randint(60, 101)]))

    def phone(self):
        r = self.r
        a, b, c = r.randint(201, 989), r.randint(200, 999), r.randint(0, 9999)
        f = r.randrange(5)
        return [f"({a}) {b}-{c:04d}", f"{a}-{b}-{c:04d}", f"{a}.{b}.{c:04d}", f"+1 {a} {b} {c:04d}",
                f"1-{a}-{b}-{c:04d}"][f]

    def email(self, first=None, last=None):
        r = self.r
        first, last = (first or self.first()).lower(), (last or self.last()).lower()
        last = re.sub(r"[^a-z]", "", last)
        user = r.choice([f"{first}.{last}", f"{first[0]}{last}", f"{first}{r.randint(1, 99)}",
                         f"{last}.{first}", f"{first}_{last}{r.randint(1, 9)}"])
        return f"{user}@{r.choice(DOMAINS)}"

    def ssn(self):
        r = self.r
        a, b, c = r.randint(100, 899), r.randint(10, 99), r.randint(1000, 9999)
        return r.choice([f"{a}-{b}-{c}", f"{a}-{b}-{c}", f"{a} {b} {c}", f"{a}{b}{c}"])

    def id_num(self):
        r = self.r
        f = r.randrange(5)
        if f == 0:
            return str(r.randint(1000000, 99999999))
        if f == 1:
            return f"MRN{r.randint(100000, 9999999)}"
        if f == 2:
            return f"{r.choice('ABCDEFGHJKLMNPRSTUVWXYZ')}{r.randint(100000, 999999)}"
        if f == 3:
            return f"{r.randint(100, 999)}-{r.randint(100, 999)}-{r.randint(1000, 9999)}"
        return f"{r.choice(['PT', 'ID', 'AC', 'HX'])}-{r.randint(10000, 999999)}"

    def street(self):
        r = self.r
        s = f"{r.randint(1, 9999)} {r.choice(STREETS)} {r.choice(SUFFIX)}"
        if r.random() < 0.25:
            s += r.choice([f" Apt {r.randint(1, 999)}", f", Suite {r.randint(100, 900)}",
                           f" #{r.randint(1, 99)}", f" Unit {r.choice('ABCDEF')}"])
        return s

    def location(self):
        r = self.r
        city, st = r.choice(CITIES)
        f = r.randrange(5)
        if f == 0 and st:
            return f"{city}, {st}"
        if f == 1:
            return r.choice(STATES)
        if f == 2:
            return r.choice(COUNTRIES)
        if f == 3 and st:
            return f"{city}, {st} {r.randint(10000, 99999)}"
        return city

    def organization(self):
        r = self.r
        if r.random() < 0.3:
            return r.choice(COMPANIES)
        return f"{r.choice(ORG_A)} {r.choice(ORG_B)}"

    def url(self):
        r = self.r
        host = r.choice(["www.", "", "portal.", "my."]) + re.sub(r"[^a-z]", "", r.choice(ORG_A + LAST).lower())
        tld = r.choice([".com", ".org", ".net", ".health", ".io"])
        path = r.choice(["", "/", "/patients", f"/records/{r.randint(100, 9999)}", "/contact",
                         "/portal/login"])
        return r.choice(["https://", "http://", ""]) + host + tld + path


# Placeholders: {{LABEL}} or {{LABEL:key}}; the same key within one text reuses one value (so a
# patient's name repeats consistently across a note).
HEADERS = [
    "Patient: {{FIRST_NAME:p}} {{LAST_NAME:p}}\nMRN: {{ID_NUM}}\nDOB: {{DATE}}\nAge: {{AGE}}\n"
    "Address: {{STREET_ADDRESS}}, {{LOCATION}}\nPhone: {{PHONE}}\n\n",
    "Name: {{LAST_NAME:p}}, {{FIRST_NAME:p}}    Date of visit: {{DATE}}    Medical record number: {{ID_NUM}}\n"
    "Referring provider: Dr. {{FIRST_NAME}} {{LAST_NAME}}, {{ORGANIZATION}}\n\n",
    "{{ORGANIZATION}}\n{{STREET_ADDRESS}}\n{{LOCATION}}\nTel: {{PHONE}}  {{URL}}\n\n"
    "PATIENT NAME: {{FIRST_NAME:p}} {{LAST_NAME:p}}\nSSN: {{SSN}}\nDATE OF SERVICE: {{DATE}}\n\n",
    "Encounter date {{DATE}}. {{FIRST_NAME:p}} {{LAST_NAME:p}} ({{AGE}} y/o), account {{ID_NUM}}, "
    "email {{EMAIL:p}}, cell {{PHONE}}.\n\n",
    "PATIENT INFORMATION\nFull name: {{FIRST_NAME:p}} {{LAST_NAME:p}}\nSocial security number: {{SSN}}\n"
    "Home address: {{STREET_ADDRESS}}\nCity: {{LOCATION}}\nEmail: {{EMAIL:p}}\nInsurance: {{ORGANIZATION}}\n\n",
    "Admitted {{DATE}} to {{ORGANIZATION}} in {{LOCATION}}. Attending: Dr. {{LAST_NAME}}. "
    "Patient ID {{ID_NUM}}.\n\n",
    "Mr./Ms. {{LAST_NAME:p}} (MRN {{ID_NUM}}) was seen on {{DATE}} by Dr. {{FIRST_NAME}} {{LAST_NAME}}. "
    "Contact: {{PHONE}} / {{EMAIL:p}}. Portal: {{URL}}\n\n",
    "Date: {{DATE}}\nClinic: {{ORGANIZATION}}, {{STREET_ADDRESS}}, {{LOCATION}}\nPatient: {{FIRST_NAME:p}} "
    "{{LAST_NAME:p}}, {{AGE}} years old, SSN {{SSN}}\n\n",
    "Emergency contact: {{FIRST_NAME}} {{LAST_NAME}} ({{PHONE}}), lives at {{STREET_ADDRESS}}, "
    "{{LOCATION}}.\n",
    "Results were sent to {{EMAIL}} and uploaded to {{URL}} on {{DATE}}.\n",
    "Chart {{ID_NUM}} | {{LAST_NAME:p}}, {{FIRST_NAME:p}} | DOB {{DATE}} | {{AGE}}yo | {{LOCATION}}\n\n",
    "Follow up with Dr. {{LAST_NAME}} at {{ORGANIZATION}}, phone {{PHONE}}, fax {{PHONE}}.\n",
]
FOOTERS = [
    "\nElectronically signed by Dr. {{FIRST_NAME}} {{LAST_NAME}} on {{DATE}}.",
    "\nCopy to: {{ORGANIZATION}}, {{STREET_ADDRESS}}, {{LOCATION}}.",
    "\nQuestions? Call {{PHONE}} or write to {{EMAIL}}.",
    "\nDictated by {{FIRST_NAME}} {{LAST_NAME}}, MD; transcribed {{DATE}}.",
    "",
]
PRESIDIO_MAP = {"PERSON": "{{FIRST_NAME}} {{LAST_NAME}}", "STREET_ADDRESS": "{{STREET_ADDRESS}}",
                "GPE": "{{LOCATION}}", "ORGANIZATION": "{{ORGANIZATION}}", "DATE_TIME": "{{DATE}}",
                "PHONE_NUMBER": "{{PHONE}}", "EMAIL_ADDRESS": "{{EMAIL}}", "US_SSN": "{{SSN}}",
                "AGE": "{{AGE}}", "DOMAIN_NAME": "{{URL}}", "ZIP_CODE": "{{LOCATION}}",
                "US_DRIVER_LICENSE": "{{ID_NUM}}"}
# Form fields for generated records: (names a form may use, value placeholder). Non-identifying
# fields teach the model that numbers, dates-like vitals and clinical words next to a colon are O.
FIELDS = [
    (["Name", "Patient", "Patient name", "Full name", "Pt name", "Client"], "{{FIRST_NAME:p}} {{LAST_NAME:p}}"),
    (["Last name", "Surname", "Family name"], "{{LAST_NAME:p}}"),
    (["First name", "Given name"], "{{FIRST_NAME:p}}"),
    (["DOB", "Date of birth", "Birth date", "Born"], "{{DATE}}"),
    (["Date", "Visit date", "Date of service", "Admission date", "Discharge date", "Seen on"], "{{DATE}}"),
    (["Age", "Pt age"], "{{AGE}}"),
    (["Phone", "Tel", "Telephone", "Mobile", "Cell", "Home phone", "Contact number", "Fax"], "{{PHONE}}"),
    (["Email", "E-mail", "Email address", "Contact email"], "{{EMAIL:p}}"),
    (["SSN", "Social security number", "Social Security No.", "SS#"], "{{SSN}}"),
    (["MRN", "Medical record number", "Record #", "Chart number", "Account", "Patient ID", "Member ID",
      "Policy number", "Driver's license"], "{{ID_NUM}}"),
    (["Address", "Home address", "Street", "Street address", "Mailing address", "Residence"], "{{STREET_ADDRESS}}"),
    (["City", "Location", "Town", "State", "Country", "Place of birth", "City/State"], "{{LOCATION}}"),
    (["Insurance", "Insurer", "Payer", "Employer", "Clinic", "Hospital", "Facility", "Pharmacy",
      "Referred from", "Practice"], "{{ORGANIZATION}}"),
    (["Website", "URL", "Portal", "Web"], "{{URL}}"),
    (["Provider", "Attending", "Physician", "PCP", "Referring physician"], "Dr. {{FIRST_NAME}} {{LAST_NAME}}"),
    (["Emergency contact", "Next of kin", "Guardian"], "{{FIRST_NAME}} {{LAST_NAME}} {{PHONE}}"),
]
NON_PII = [
    (["Diagnosis", "Assessment", "Problem"], ["hypertension", "type 2 diabetes mellitus", "asthma",
      "congestive heart failure", "chronic kidney disease stage 3", "osteoarthritis of the knee"]),
    (["Blood pressure", "BP"], ["120/80", "138/92 mmHg", "145/90", "110/70 mmHg"]),
    (["Weight", "Wt"], ["70 kg", "182 lb", "64.5 kg"]),
    (["Heart rate", "Pulse", "HR"], ["72", "88 bpm", "64"]),
    (["Allergies"], ["none known", "penicillin", "NKDA", "sulfa drugs"]),
    (["Medications", "Current medications"], ["lisinopril 20 mg daily", "metformin 500 mg twice a day",
      "atorvastatin 40 mg", "albuterol as needed"]),
    (["Visit type", "Reason for visit", "Chief complaint"], ["follow-up", "annual physical",
      "chest pain", "knee pain for 3 weeks", "new patient"]),
    (["Temperature", "Temp"], ["98.6 F", "37.2 C", "101.2"]),
    (["Room", "Bed"], ["12", "4B", "305"]),
    (["Smoking", "Tobacco"], ["never", "former smoker, 20 pack-years", "1 pack per day"]),
]


def record_template(rng):
    """A random form: 3 to 9 fields in random order and layout, some of them not identifying."""
    fields = rng.sample(FIELDS, rng.randint(3, 8)) + rng.sample(NON_PII, rng.randint(0, 3))
    rng.shuffle(fields)
    sep = rng.choice([": ", ": ", ":\t", " - ", " ", ":  "])
    join = rng.choice(["\n", "\n", "; ", " | ", ", ", "\n\n"])
    style = rng.choice([str, str, str.upper, str.lower, str.title])
    parts = []
    for names, value in fields:
        v = rng.choice(value) if isinstance(value, list) else value
        parts.append(style(rng.choice(names)) + sep + v)
    return join.join(parts)


def recase(template, rng):
    """Case augmentation: one line of the template's own words (not the placeholders) upper- or
    lower-cased, so field names are not learnt in one casing only."""
    lines = template.split("\n")
    i = rng.randrange(len(lines))
    f = rng.choice([str.upper, str.lower])
    pieces = re.split(r"(\{\{[A-Z_]+(?::\w+)?\}\})", lines[i])
    lines[i] = "".join(x if x.startswith("{{") else f(x) for x in pieces)
    return "\n".join(lines)


PLACEHOLDER = re.compile(r"\{\{([A-Z_]+)(?::(\w+))?\}\}")


def fill(template, fk):
    """Replaces placeholders with fake values. Returns {"text", "spans"}."""
    text, spans, pos, keyed = "", [], 0, {}
    for m in PLACEHOLDER.finditer(template):
        text += template[pos:m.start()]
        label, key = m.group(1), m.group(2)
        if key and (label, key) in keyed:
            value = keyed[(label, key)]
        else:
            if label == "EMAIL" and key:
                value = fk.email(keyed.get(("FIRST_NAME", key)), keyed.get(("LAST_NAME", key)))
            else:
                value = {"FIRST_NAME": fk.first, "LAST_NAME": fk.last, "DATE": fk.date,
                         "AGE": fk.age, "PHONE": fk.phone, "EMAIL": fk.email, "SSN": fk.ssn,
                         "ID_NUM": fk.id_num, "STREET_ADDRESS": fk.street,
                         "LOCATION": fk.location, "ORGANIZATION": fk.organization,
                         "URL": fk.url}[label]()
            if key:
                keyed[(label, key)] = value
        spans.append({"start": len(text), "end": len(text) + len(value), "label": label})
        text += value
        pos = m.end()
    text += template[pos:]
    return {"text": text, "spans": spans}


def note_templates(data, split):
    """Clinical notes turned into templates: the patient's names (from the metadata), the age
    before '-year-old', 'Dr. Name' and m/d/yyyy dates become placeholders."""
    csv.field_size_limit(1 << 30)
    meta = {m["encounter_id"]: m for m in csv.DictReader(
        open(os.path.join(data, f"clinical-notes/aci-{split}_metadata.csv"), encoding="utf-8"))}
    out = []
    for row in csv.DictReader(open(os.path.join(data, f"clinical-notes/aci-{split}.csv"), encoding="utf-8")):
        m = meta.get(row["encounter_id"])
        if not m:
            continue
        m = {k: (v or "").strip() for k, v in m.items()}
        t = row["note"].replace("{", "(").replace("}", ")")
        t = re.sub(r"\bDr\. ([A-Z][a-z]+)", "Dr. {{LAST_NAME}}", t)
        t = re.sub(r"\b\d{1,2}/\d{1,2}/\d{4}\b", "{{DATE}}", t)
        if m["patient_firstname"]:
            t = re.sub(r"\b" + re.escape(m["patient_firstname"]) + r"\b", "{{FIRST_NAME:p}}", t)
        if m["patient_familyname"]:
            t = re.sub(r"\b" + re.escape(m["patient_familyname"]) + r"\b", "{{LAST_NAME:p}}", t)
        if m["patient_age"]:
            t = re.sub(r"\b" + re.escape(m["patient_age"]) + r"(?=[- ]year[- ]old)", "{{AGE:p}}", t)
        out.append(t)
    return out


def presidio_templates(data):
    """(template_id, template) from the presidio records' masked text, our labels substituted."""
    out = []
    for rec in json.load(open(os.path.join(data, "pii/presidio-synth-train.json"), encoding="utf-8")):
        t = rec["masked"].replace("{{", "\x00").replace("}}", "\x01")
        t = t.replace("{", "(").replace("}", ")").replace("\x00", "{{").replace("\x01", "}}")
        # several address/location pieces in a row are one value here
        t = re.sub(r"\{\{(\w+)\}\}(?:[ ,]+\{\{\1\}\})+", r"{{\1}}", t)
        types = re.findall(r"\{\{(\w+)\}\}", t)
        if not types or any(x not in PRESIDIO_MAP and x not in ("TITLE", "NRP") for x in types):
            continue
        t = re.sub(r"\{\{TITLE\}\}", lambda _: "Dr.", t)
        t = re.sub(r"\{\{NRP\}\}", "American", t)
        t = re.sub(r"\{\{(\w+)\}\}", lambda m: PRESIDIO_MAP[m.group(1)], t)
        out.append((rec["template_id"], t))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.environ.get("OPENMED_TRAIN_DATA"), required="OPENMED_TRAIN_DATA" not in os.environ,
                    help="folder of the public corpora (ncbi-disease/, bc5cdr/, pii/, clinical-notes/); default $OPENMED_TRAIN_DATA")
    ap.add_argument("--out", default="build-train/pii")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--note-copies", type=int, default=3)
    ap.add_argument("--short-copies", type=int, default=2)
    ap.add_argument("--records", type=int, default=0, help="generated form records added to training")
    ap.add_argument("--recase", type=float, default=0.0,
                    help="probability of re-casing one line of a training template")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    fk = Faker(rng)
    notes = note_templates(a.data, "train")
    held_notes = note_templates(a.data, "valid")  # a different set of encounters
    pres = presidio_templates(a.data)
    tids = sorted({tid for tid, _ in pres})
    random.Random(a.seed).shuffle(tids)
    held_tids = set(tids[:len(tids) // 5])
    heads = list(range(len(HEADERS)))
    random.Random(a.seed + 1).shuffle(heads)
    held_heads = set(heads[:3])
    train, held = [], []

    def note_doc(body, heldout):
        hs = [HEADERS[i] for i in range(len(HEADERS)) if (i in held_heads) == heldout]
        fs = FOOTERS[1:] if not heldout else FOOTERS[:1] + FOOTERS[-1:]  # first footer held out
        return rng.choice(hs) + body + rng.choice(fs)

    for body in notes:
        for _ in range(a.note_copies):
            train.append(fill(note_doc(body, False), fk))
    for body in held_notes:
        held.append(fill(note_doc(body, True), fk))
    for tid, t in pres:
        for _ in range(a.short_copies if tid not in held_tids else 1):
            (held if tid in held_tids else train).append(fill(t, fk))
    for i, h in enumerate(HEADERS):
        for _ in range(40 if i not in held_heads else 15):
            (held if i in held_heads else train).append(fill(h.strip(), fk))
    for _ in range(a.records):
        train.append(fill(record_template(rng), fk))
    if a.recase > 0:  # re-cased copies of a share of the short training texts
        extra = []
        for tid, t in pres:
            if tid not in held_tids and rng.random() < a.recase:
                extra.append(fill(recase(t, rng), fk))
        for i, h in enumerate(HEADERS):
            if i not in held_heads:
                extra += [fill(recase(h.strip(), rng), fk) for _ in range(int(40 * a.recase))]
        train += extra
    rng.shuffle(train)
    os.makedirs(a.out, exist_ok=True)
    for name, rows in (("train", train), ("heldout", held)):
        with open(os.path.join(a.out, name + ".jsonl"), "w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
    n = lambda rows: sum(len(r["spans"]) for r in rows)  # noqa: E731
    print(f"train {len(train)} texts / {n(train)} spans; heldout {len(held)} texts / {n(held)} spans "
          f"({len(held_tids)} presidio templates, {len(held_notes)} notes, {len(held_heads)} headers held out)")


if __name__ == "__main__":
    main()
