"""phi_plant.py: the seeded generator of the planted-PHI benchmark: ACI-bench clinical notes with
identifiers planted in many shapes. Each document is a header (form, table, caps line, ...), the
note (the patient's names from the metadata and the note's own 'Dr. X' and full dates replaced by
fakes, keeping their case; extra sentences with identifiers and clinical distractors inserted
between paragraphs) and a footer (signatures). Values come from Faker (Debian python3-fake-factory)
in several locales; cards are Luhn-valid, IBANs have valid mod-97 check digits. With
names="heldout" every person name is drawn instead from the Faker locales the detector's name list
leaves out (scripts/gen_person_names.py HELDOUT_LOCALES), minus any name on the list anyway: names
the detector has never seen, so only its context rules can find them.

Every planted value is recorded with its code-point span, type, shape (the context it was planted
in) and case (normal, lower, upper); the note's own words and the clinical terms are recorded
too, for the precision side. Nothing here is PHI: the notes are synthetic role-play encounters and
all values are fake."""
import csv
import functools
import os
import random
import re
import sys

from faker import Faker

# Locales for values: mostly US (the notes are US encounters), then others whose names are in Latin
# script, a few whose names are not.
LOCALES = (["en_US"] * 10 + ["en_GB", "en_CA", "en_AU", "de_DE", "fr_FR", "es_ES", "es_MX", "it_IT",
                              "nl_NL", "pl_PL", "pt_BR", "sv_SE", "tr_TR", "cs_CZ", "hu_HU", "fi_FI",
                              "no_NO", "hr_HR", "ro_RO", "dk_DK"] + ["ru_RU", "zh_CN"])
TYPES = ["NAME", "DATE", "DOB", "MRN", "PHONE", "SSN", "EMAIL", "STREET_ADDRESS", "ZIP", "URL", "IP",
         "CARD", "IBAN"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]
STATES = ["AL", "AZ", "CA", "CO", "CT", "FL", "GA", "IL", "MA", "MD", "MI", "MN", "NC", "NJ", "NY", "OH",
          "OR", "PA", "TN", "TX", "VA", "WA", "WI"]
# Clinical words a name detector must leave alone: eponyms, capitalised drug brands, diagnoses.
DISTRACTORS = [
    "History of Hashimoto thyroiditis and Crohn disease, stable on Synthroid.",
    "Parkinson disease was ruled out; Bell palsy resolved last spring.",
    "A Foley catheter was placed and removed without complication.",
    "She takes Lasix, Norvasc and Zoloft as prescribed.",
    "Graves disease was treated with methimazole years ago.",
    "No signs of Cushing syndrome or Addison disease.",
    "He uses Advair twice a day and Ventolin as needed.",
    "Mother had Alzheimer disease; father had Hodgkin lymphoma.",
    "Continue Eliquis 5 mg twice daily and Lipitor 40 mg at night.",
    "Down syndrome was noted in a sibling; no Marfan features on exam.",
    "Tinel sign and Phalen test were positive on the right.",
    "Started Humira for Crohn disease; Tylenol for pain.",
    "Apley and McMurray tests were negative.",
    "Raynaud phenomenon is worse in winter.",
]
DISTRACTOR_TERMS = ["Hashimoto thyroiditis", "Crohn disease", "Synthroid", "Parkinson disease", "Bell palsy",
                    "Foley catheter", "Lasix", "Norvasc", "Zoloft", "Graves disease", "methimazole",
                    "Cushing syndrome", "Addison disease", "Advair", "Ventolin", "Alzheimer disease",
                    "Hodgkin lymphoma", "Eliquis", "Lipitor", "Down syndrome", "Marfan", "Tinel sign",
                    "Phalen test", "Humira", "Tylenol", "Apley", "McMurray", "Raynaud phenomenon"]


def luhn_ok(digits):
    s = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        s += d
    return s % 10 == 0


def luhn_complete(prefix_and_body):
    for c in "0123456789":
        if luhn_ok(prefix_and_body + c):
            return prefix_and_body + c
    raise AssertionError


def iban_with_check(country, bban):
    """country + check digits + bban, check digits per ISO 13616 (mod 97 == 1)."""
    conv = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(conv) % 97:02d}{bban}"


def iban_ok(iban):
    s = iban.replace(" ", "")
    conv = "".join(str(int(c, 36)) for c in s[4:] + s[:4])
    return int(conv) % 97 == 1


@functools.lru_cache(maxsize=None)
def unlisted_names():
    """(first names, last names) of the held-out Faker locales that are not on the detector's name
    list (sorted, so draws are reproducible)."""
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    sys.path.insert(0, os.path.join(root, "scripts"))
    import gen_person_names as g
    with open(os.path.join(root, "src", "deid", "person_names.inc"), encoding="utf-8") as f:
        inc = f.read()
    listed = set()
    for array in ("person_first_names", "person_last_names"):
        body = re.search(r"\b" + array + r"\[\] = \{(.*?)\};", inc, re.S).group(1)
        listed.update(re.findall(r'"((?:[^"\\]|\\.)*)"', body))
    out = ([], [])
    for loc in g.HELDOUT_LOCALES:
        for i, names in enumerate(g.locale_names(loc)):
            out[i].extend(n for n in names if g.words(n) and not set(g.words(n)) & listed)
    return tuple(sorted(set(x)) for x in out)


class Values:
    """Fake values for one document, from one locale (and en_US for US-only kinds); person names
    from the same locale, or with names="heldout" from names off the detector's list."""

    def __init__(self, rng, locale, names="faker"):
        self.r, self.locale, self.names = rng, locale, names
        self.f = Faker(locale)
        self.f.seed_instance(rng.randrange(1 << 30))
        self.us = Faker("en_US")
        self.us.seed_instance(rng.randrange(1 << 30))

    def clean(self, s):
        return re.sub(r"\s+", " ", s).strip()

    def first(self):
        if self.names == "heldout":
            return self.r.choice(unlisted_names()[0])
        return self.clean(self.f.first_name())

    def last(self):
        if self.names == "heldout":
            return self.r.choice(unlisted_names()[1])
        return self.clean(self.f.last_name())

    def date(self, year_lo=1990, year_hi=2024):
        r = self.r
        y, m, d = r.randint(year_lo, year_hi), r.randint(1, 12), r.randint(1, 28)
        mon = MONTHS[m - 1]
        return r.choice([f"{m:02d}/{d:02d}/{y}", f"{m}/{d}/{y}", f"{m}/{d}/{y % 100:02d}", f"{y}-{m:02d}-{d:02d}",
                         f"{mon} {d}, {y}", f"{d} {mon} {y}", f"{mon[:3]} {d}, {y}", f"{d:02d}.{m:02d}.{y}",
                         f"{d}-{mon[:3]}-{y}", f"{mon[:3]}. {d} {y}", f"{d:02d}/{m:02d}/{y}", f"{y}/{m:02d}/{d:02d}",
                         f"the {d}{'th' if 10 <= d <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(d % 10, 'th')} of {mon}, {y}"])

    def dob(self):
        return self.date(1925, 2015)

    def mrn(self):
        r = self.r
        n = r.randint(6, 10)
        digits = "".join(r.choice("0123456789") for _ in range(n))
        return r.choice([digits, digits, f"{r.choice('ABCDEFGHJKMNPRSTUVWXYZ')}{digits[:7]}",
                         f"{digits[:3]}-{digits[3:6]}-{digits[6:] or '0'}", f"MR{digits[:8]}", f"00{digits[:6]}"])

    def phone(self):
        r = self.r
        if r.random() < 0.6 or self.locale.startswith("en_US"):
            a, b, c = r.randint(201, 989), r.randint(200, 999), r.randint(0, 9999)
            return r.choice([f"({a}) {b}-{c:04d}", f"{a}-{b}-{c:04d}", f"{a}.{b}.{c:04d}", f"+1 {a} {b} {c:04d}",
                             f"1-{a}-{b}-{c:04d}", f"{a}{b}{c:04d}", f"({a}){b}-{c:04d}", f"+1 ({a}) {b}-{c:04d}",
                             f"{a}-{b}-{c:04d} ext. {r.randint(10, 999)}"])
        p = self.clean(self.f.phone_number())
        return p if sum(ch.isdigit() for ch in p) >= 7 else f"+44 20 7946 {r.randint(0, 9999):04d}"

    def ssn(self):
        r = self.r
        a, b, c = r.randint(1, 899), r.randint(1, 99), r.randint(1, 9999)
        if a == 666:
            a = 667
        return r.choice([f"{a:03d}-{b:02d}-{c:04d}", f"{a:03d}-{b:02d}-{c:04d}", f"{a:03d} {b:02d} {c:04d}",
                         f"{a:03d}{b:02d}{c:04d}"])

    def email(self, first=None, last=None):
        r = self.r
        if first and last and r.random() < 0.5:
            user = re.sub(r"[^a-z0-9._]", "", r.choice([f"{first}.{last}", f"{first[0]}{last}",
                                                        f"{last}{r.randint(1, 99)}"]).lower())
            if len(user) >= 3:
                return f"{user}@{self.us.free_email_domain()}"
        return self.clean(self.us.email())

    def street(self):
        s = self.clean(self.f.street_address())
        return s if re.search(r"\d", s) else f"{self.r.randint(1, 999)} {s}"

    def city(self):
        return self.clean(self.f.city())

    def zip(self):
        r = self.r
        if r.random() < 0.75:
            z = f"{r.randint(1001, 99950):05d}"
            return z if r.random() < 0.8 else f"{z}-{r.randint(0, 9999):04d}"
        return self.clean(self.f.postcode())

    def url(self):
        r = self.r
        u = self.clean(self.us.url())
        path = r.choice(["", "", "patients/" + str(r.randint(100, 99999)), "portal/login", "records?id=" +
                         str(r.randint(1000, 999999)), "~" + self.us.user_name()])
        u = u + path
        return r.choice([u, u, u.replace("http://", "https://"), re.sub(r"^https?://", "", u)])

    def ip(self):
        r = self.r
        if r.random() < 0.7:
            return r.choice([self.us.ipv4(), self.us.ipv4_private(), f"{r.randint(1, 223)}.{r.randint(0, 255)}."
                             f"{r.randint(0, 255)}.{r.randint(1, 254)}"])
        v6 = self.us.ipv6()
        return r.choice([v6, re.sub(r"(^|:)0+([0-9a-f])", r"\1\2", v6), "fe80::" + ":".join(v6.split(":")[4:])])

    def card(self):
        r = self.r
        kind = r.choice(["visa", "mc", "amex", "discover"])
        if kind == "amex":
            num = luhn_complete(r.choice(["34", "37"]) + "".join(r.choice("0123456789") for _ in range(12)))
            return r.choice([num, f"{num[:4]} {num[4:10]} {num[10:]}", f"{num[:4]}-{num[4:10]}-{num[10:]}"])
        pre = {"visa": "4", "mc": str(r.randint(51, 55)), "discover": "6011"}[kind]
        num = luhn_complete(pre + "".join(r.choice("0123456789") for _ in range(15 - len(pre))))
        g = [num[i:i + 4] for i in range(0, 16, 4)]
        return r.choice([num, " ".join(g), "-".join(g), num])

    def iban(self):
        r = self.r
        country, n = r.choice([("DE", 18), ("GB", 18), ("FR", 23), ("ES", 20), ("IT", 23), ("NL", 14),
                               ("CH", 17), ("BE", 12), ("AT", 16), ("PL", 24)])
        if country in ("GB", "NL"):
            bban = "".join(r.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(4)) + \
                "".join(r.choice("0123456789") for _ in range(n - 4))
        elif country == "IT":
            bban = r.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") + "".join(r.choice("0123456789") for _ in range(n - 1))
        else:
            bban = "".join(r.choice("0123456789") for _ in range(n))
        iban = iban_with_check(country, bban)
        assert iban_ok(iban)
        return r.choice([iban, " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))])


class Doc:
    """A document built from segments: plain text, or a planted value with its type and shape."""

    def __init__(self, case):
        self.case = case  # the document's case mode; segments may override
        self.parts = []   # (text, item or None, role)

    def text(self, s, role="frame", case=None):
        self.parts.append((s, None, role, case))

    def value(self, typ, shape, v, case=None, part=None):
        self.parts.append((v, {"type": typ, "shape": shape, "part": part}, "value", case))

    def build(self):
        out, items, words, pos = [], [], [], 0
        for s, item, role, case in self.parts:
            c = case or self.case
            t = s.lower() if c == "lower" else s.upper() if c == "upper" else s
            if len(t) != len(s):  # a character whose case form has another length: keep it
                t = s
            if item:
                items.append(dict(item, start=pos, end=pos + len(t), value=t, case=c))
            elif role in ("note", "distractor"):
                words.append((pos, pos + len(t), role))
            out.append(t)
            pos += len(t)
        return "".join(out), items, words


def name_case(original, fake):
    if original.isupper() and len(original) > 1:
        return fake.upper()
    if original.islower():
        return fake.lower()
    return fake


def plant_note(doc, note, meta, vals, patient, rng):
    """The note body with the patient's names, 'Dr. X' and full dates replaced (case kept), and
    sentences with more identifiers and clinical distractors inserted between paragraphs."""
    first, last = (meta.get("patient_firstname") or "").strip(), (meta.get("patient_familyname") or "").strip()
    alts = []
    if first:
        alts.append(("F", re.escape(first)))
    if last:
        alts.append(("L", re.escape(last)))
    pat = r"(?P<dr>(?-i:\bDr\.? (?P<drn>[A-Z][a-z]+)))|(?P<date>\b\d{1,2}/\d{1,2}/\d{4}\b)"
    for k, a in alts:
        pat += rf"|(?P<{k}>\b{a}\b)"
    doctor = (vals.first(), vals.last())
    paras = note.split("\n\n")
    inserts = {}
    for _ in range(rng.randint(3, 6)):
        inserts.setdefault(rng.randrange(1, len(paras) + 1), []).append(rng.randrange(len(SENTENCES)))
    for _ in range(rng.randint(1, 2)):
        inserts.setdefault(rng.randrange(1, len(paras) + 1), []).append(-1 - rng.randrange(len(DISTRACTORS)))
    for pi, para in enumerate(paras):
        if pi:
            doc.text("\n\n", "note")
        at = 0
        for m in re.finditer(pat, para, flags=re.IGNORECASE if alts else 0):
            doc.text(para[at:m.start()], "note")
            if m.group("date"):
                doc.value("DATE", "note_body", vals.date())
            elif m.group("dr"):
                drn = m.group("drn")
                doc.text(m.group(0)[:len(m.group(0)) - len(drn)], "note")
                if drn.lower() == first.lower():
                    doc.value("NAME", "note_body", name_case(drn, patient[0]), part="first")
                elif drn.lower() == last.lower():
                    doc.value("NAME", "note_body", name_case(drn, patient[1]), part="last")
                else:
                    doc.value("NAME", "dr_title", doctor[1], part="last")
            elif m.groupdict().get("F"):
                doc.value("NAME", "note_body", name_case(m.group(0), patient[0]), part="first")
            else:
                doc.value("NAME", "note_body", name_case(m.group(0), patient[1]), part="last")
            at = m.end()
        doc.text(para[at:], "note")
        for s in inserts.get(pi + 1, []):
            doc.text("\n\n", "note")
            if s < 0:
                doc.text(DISTRACTORS[-1 - s], "distractor")
            else:
                SENTENCES[s](doc, vals, patient, rng)


def n(doc, vals, shape, first, last, order="fl"):
    """A person's name as first/last items in the given order ('fl', 'lf' with a comma, 'f', 'l')."""
    if order == "lf":
        doc.value("NAME", shape, last, part="last")
        doc.text(", ")
        doc.value("NAME", shape, first, part="first")
        return
    if "f" in order:
        doc.value("NAME", shape, first, part="first")
    if order == "fl":
        doc.text(" ")
    if "l" in order:
        doc.value("NAME", shape, last, part="last")


def s_contact(doc, v, p, r):
    doc.text(r.choice(["The patient's daughter, ", "Her husband, ", "His wife, ", "Emergency contact: "]))
    n(doc, v, "relative", v.first(), v.last())
    doc.text(r.choice([", can be reached at ", ", phone ", " (cell "]))
    doc.value("PHONE", "narrative", v.phone())
    doc.text(".")


def s_seen(doc, v, p, r):
    doc.text(r.choice(["She was last seen in clinic on ", "Last visit: ", "The MRI was done on ",
                       "Labs were drawn on "]))
    doc.value("DATE", "narrative", v.date())
    doc.text(".")


def s_referred(doc, v, p, r):
    doc.text(r.choice(["The patient was referred by Dr. ", "Discussed with Dr. ", "Follow up with Dr. "]))
    if r.random() < 0.5:
        n(doc, v, "dr_title", v.first(), v.last())
    else:
        doc.value("NAME", "dr_title", v.last(), part="last")
    doc.text(r.choice([" of cardiology.", " in two weeks.", "."]))


def s_email(doc, v, p, r):
    doc.text(r.choice(["Records were sent to ", "The patient asked that results go to ", "Her e-mail is "]))
    doc.value("EMAIL", "narrative", v.email(*p))
    doc.text(r.choice([".", " on request."]))


def s_lives(doc, v, p, r):
    doc.text(r.choice(["The patient lives at ", "He moved to ", "Home address is "]))
    doc.value("STREET_ADDRESS", "narrative", v.street())
    doc.text(", ")
    doc.text(v.city())
    doc.text(", " + r.choice(STATES) + " ")
    doc.value("ZIP", "narrative", v.zip())
    doc.text(r.choice([" with her family.", ".", " since last year."]))


def s_payment(doc, v, p, r):
    doc.text(r.choice(["Copay was charged to card ", "Payment by Visa ", "The card on file is "]))
    doc.value("CARD", "narrative", v.card())
    doc.text(r.choice(["; refunds go to IBAN ", "; bank account (IBAN) ", "; account "]))
    doc.value("IBAN", "narrative", v.iban())
    doc.text(".")


def s_portal(doc, v, p, r):
    doc.text(r.choice(["The patient portal (", "Telehealth link: ", "Images uploaded to "]))
    doc.value("URL", "narrative", v.url())
    doc.text(r.choice([") was accessed from IP ", ", client address ", " from "]))
    doc.value("IP", "narrative", v.ip())
    doc.text(".")


def s_ssn(doc, v, p, r):
    doc.text(r.choice(["Social security number ", "SSN: ", "Her SSN is "]))
    doc.value("SSN", "narrative", v.ssn())
    doc.text(r.choice([" was verified.", ".", " (on file)."]))


def s_patient(doc, v, p, r):
    doc.text(r.choice(["The patient, ", "Patient ", "I told "]))
    doc.value("NAME", "patient_x", p[0], part="first")
    doc.text(r.choice([", agrees with the plan.", " understands the risks.", " to call if worse."]))


def s_dob(doc, v, p, r):
    doc.text(r.choice(["Date of birth ", "Born ", "DOB "]))
    doc.value("DOB", "narrative", v.dob())
    doc.text(r.choice([", MRN ", "; medical record number ", ", chart # "]))
    doc.value("MRN", "narrative", v.mrn())
    doc.text(".")


def s_nurse(doc, v, p, r):
    doc.text(r.choice(["Vitals taken by ", "Seen with ", "Interpreter: "]))
    n(doc, v, "staff", v.first(), v.last())
    doc.text(r.choice([", RN.", ", MA.", "."]))


SENTENCES = [s_contact, s_seen, s_referred, s_email, s_lives, s_payment, s_portal, s_ssn, s_patient, s_dob,
             s_nurse]


def header(doc, v, p, r, caps):
    """One of several header layouts; caps: the header in capitals."""
    c = "upper" if caps else None
    kind = r.choice(["form", "table", "form_lf", "re_line", "caps_line", "tsv"])
    if kind == "caps_line":
        c = "upper"
    f = lambda s: doc.text(s, case=c)  # noqa: E731
    val = lambda t, shape, x, part=None: doc.value(t, shape, x, case=c, part=part)  # noqa: E731
    street, city, st, zp = v.street(), v.city(), r.choice(STATES), v.zip()
    if kind == "form":
        f(r.choice(["Patient Name: ", "Name: ", "Patient: ", "PATIENT NAME: "]))
        val("NAME", "form", p[0], "first"); f(" "); val("NAME", "form", p[1], "last")
        f("\nDOB: "); val("DOB", "form", v.dob())
        f("\nMRN: "); val("MRN", "form", v.mrn())
        f("\nDate of Service: "); val("DATE", "form", v.date())
        f("\nAddress: "); val("STREET_ADDRESS", "form", street); f(", " + city + ", " + st + " ")
        val("ZIP", "form", zp)
        f("\nPhone: "); val("PHONE", "form", v.phone())
        f("\nEmail: "); val("EMAIL", "form", v.email(*p))
        f("\nSSN: "); val("SSN", "form", v.ssn())
        f("\n\n")
    elif kind == "table":
        f("| Field | Value |\n|---|---|\n| Patient | ")
        val("NAME", "table", p[0], "first"); f(" "); val("NAME", "table", p[1], "last")
        f(" |\n| DOB | "); val("DOB", "table", v.dob())
        f(" |\n| MRN | "); val("MRN", "table", v.mrn())
        f(" |\n| Phone | "); val("PHONE", "table", v.phone())
        f(" |\n| Address | "); val("STREET_ADDRESS", "table", street); f(", " + city + " ")
        val("ZIP", "table", zp)
        f(" |\n| Insurance card | "); val("CARD", "table", v.card())
        f(" |\n| Portal | "); val("URL", "table", v.url())
        f(" |\n\n")
    elif kind == "form_lf":
        f(r.choice(["Name: ", "Patient: ", "Pt: "]))
        val("NAME", "form_last_first", p[1], "last"); f(", "); val("NAME", "form_last_first", p[0], "first")
        f("    DOB: "); val("DOB", "form", v.dob())
        f("    MRN: "); val("MRN", "form", v.mrn())
        f("\nVisit date: "); val("DATE", "form", v.date())
        f("    IP: "); val("IP", "form", v.ip())
        f("\n\n")
    elif kind == "re_line":
        f("RE: "); val("NAME", "re_line", p[0], "first"); f(" "); val("NAME", "re_line", p[1], "last")
        f(" (DOB "); val("DOB", "re_line", v.dob()); f(")\n")
        f("Account: "); val("MRN", "form", v.mrn()); f("   Bank: "); val("IBAN", "form", v.iban())
        f("\n\n")
    elif kind == "caps_line":
        f("PATIENT: "); val("NAME", "caps_header", p[0], "first"); f(" "); val("NAME", "caps_header", p[1], "last")
        f("   MRN: "); val("MRN", "caps_header", v.mrn())
        f("   DOB: "); val("DOB", "caps_header", v.dob())
        f("\nADDRESS: "); val("STREET_ADDRESS", "caps_header", street); f(", " + city + ", " + st + " ")
        val("ZIP", "caps_header", zp)
        f("\n\n")
    else:
        f("Patient\t"); val("NAME", "tsv", p[1], "last"); f(", "); val("NAME", "tsv", p[0], "first")
        f("\nDOB\t"); val("DOB", "tsv", v.dob())
        f("\nPhone\t"); val("PHONE", "tsv", v.phone())
        f("\nE-mail\t"); val("EMAIL", "tsv", v.email(*p))
        f("\nSSN\t"); val("SSN", "tsv", v.ssn())
        f("\n\n")


def footer(doc, v, p, r, caps):
    c = "upper" if caps else None
    f = lambda s: doc.text(s, case=c)  # noqa: E731
    kind = r.choice(["signed", "signature", "dictated", "cc"])
    first, last = v.first(), v.last()
    if kind == "signed":
        f("\n\nElectronically signed by: ")
        doc.value("NAME", "signature", first, case=c, part="first"); f(" ")
        doc.value("NAME", "signature", last, case=c, part="last"); f(", MD on ")
        doc.value("DATE", "signature", v.date(2015, 2024), case=c)
    elif kind == "signature":
        f("\n\n")
        doc.value("NAME", "signature", first, case=c, part="first"); f(" ")
        doc.value("NAME", "signature", last, case=c, part="last")
        f(r.choice([", MD\nInternal Medicine", ", DO\nFamily Medicine", ", NP"]))
        f("\nTel. "); doc.value("PHONE", "signature", v.phone(), case=c)
    elif kind == "dictated":
        f("\n\nDictated by Dr. "); doc.value("NAME", "dr_title", last, case=c, part="last")
        f(". Transcribed by "); doc.value("NAME", "signature", v.first(), case=c, part="first"); f(" ")
        doc.value("NAME", "signature", v.last(), case=c, part="last"); f(" on ")
        doc.value("DATE", "signature", v.date(2015, 2024), case=c); f(".")
    else:
        f("\n\ncc: Dr. "); doc.value("NAME", "dr_title", first, case=c, part="first"); f(" ")
        doc.value("NAME", "dr_title", last, case=c, part="last")
        f(", fax "); doc.value("PHONE", "signature", v.phone(), case=c)


def read_notes(data, split):
    """[(note, metadata)] of a split: 'train' (the ACI train notes), 'tune' (the first half of the
    ACI valid notes, by encounter id), 'heldout' (the second half) or 'valid' (all of them)."""
    csv.field_size_limit(1 << 30)
    src = "train" if split == "train" else "valid"
    base = f"{data}/clinical-notes/aci-{src}"
    meta = {m["encounter_id"]: m for m in csv.DictReader(open(base + "_metadata.csv", encoding="utf-8"))}
    rows = sorted(csv.DictReader(open(base + ".csv", encoding="utf-8")), key=lambda x: x["encounter_id"])
    rows = [(r["note"], meta.get(r["encounter_id"], {}), r["encounter_id"]) for r in rows]
    half = (len(rows) + 1) // 2
    return rows[:half] if split == "tune" else rows[half:] if split == "heldout" else rows


def clinical_terms(data, meta):
    """Clinical terms to find in a note: the complaints of its metadata and the distractors."""
    terms = list(DISTRACTOR_TERMS)
    for k in ("cc", "2nd_complaints"):
        terms += [t.strip() for t in (meta.get(k) or "").split(";") if len(t.strip()) > 3]
    return terms


def make_docs(data, split, seed, variants, names="faker"):
    """The benchmark documents: `variants` per note of the split, each {id, text, items, words,
    terms, case, locale}; names: "faker" (person names from the document's locale) or "heldout"
    (names off the detector's list)."""
    docs = []
    for ni, (note, meta, enc) in enumerate(read_notes(data, split)):
        for k in range(variants):
            r = random.Random(f"{seed}:{split}:{enc}:{k}")
            locale = r.choice(LOCALES)
            v = Values(r, locale, names)
            patient = (v.first(), v.last())
            case = r.choices(["normal", "lower", "upper", "caps_header"], [50, 25, 10, 15])[0]
            doc = Doc("lower" if case == "lower" else "upper" if case == "upper" else "normal")
            header(doc, v, patient, r, case == "caps_header")
            plant_note(doc, note, meta, v, patient, r)
            footer(doc, v, patient, r, case == "caps_header" and r.random() < 0.5)
            text, items, words = doc.build()
            terms = []
            low = text.lower()
            for t in clinical_terms(data, meta):
                for m in re.finditer(r"\b" + re.escape(t.lower()) + r"\b", low):
                    if any(w0 <= m.start() and m.end() <= w1 for w0, w1, _ in words):
                        terms.append((m.start(), m.end()))
            docs.append({"id": f"{enc}-{k}", "text": text, "items": items, "words": words, "terms": terms,
                         "case": case, "locale": locale})
    return docs
