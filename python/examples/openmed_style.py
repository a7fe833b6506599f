"""openmed_style.py: an OpenMed script that runs on OpenMed-C by changing only its import.

    python3 python/examples/openmed_style.py
"""
try:
    import openmed_c as openmed  # OpenMed-C: the C engine and its bundled models, no PyTorch
except ImportError:
    import openmed  # OpenMed itself

# The one other difference: OpenMed-C ships small models ("disease", "pii"); both take registry
# names and Hugging Face repo ids.
DISEASE_MODEL = "disease" if openmed.__name__ == "openmed_c" else "disease_detection_superclinical"

note = ("Patient Maria Lopez, MRN 4829173, phone (617) 555-0192, was seen on 03/14/2021. "
        "The patient has cystic fibrosis and type 2 diabetes.")

# Named entities (OpenMed's analyze_text; the bundled disease model by default here).
result = openmed.analyze_text(note, model_name=DISEASE_MODEL, confidence_threshold=0.5)
for entity in result.entities:
    print(f"{entity.label:10} {entity.text!r} [{entity.start}:{entity.end}] {entity.confidence:.2f}")

# Identifiers, then the note with them masked, and a reversible mapping.
pii = openmed.extract_pii(note)
print("identifiers:", [(e.label, e.start, e.end) for e in pii.entities])
deid = openmed.deidentify(note, method="mask", keep_mapping=True)
print(deid.deidentified_text)
assert openmed.reidentify(deid.deidentified_text, deid.mapping) == note

# Hugging Face's pipeline, as OpenMed's ModelLoader makes it.
loader = openmed.ModelLoader()
ner = loader.create_pipeline(DISEASE_MODEL, aggregation_strategy="simple")
print(ner("The patient has cystic fibrosis."))
