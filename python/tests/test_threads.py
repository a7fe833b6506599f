"""test_threads.py: inference releases the GIL, so other Python threads run while it works, and
threads sharing one model (each call borrowing its own pipeline) give the results of serial calls."""
import threading
from concurrent.futures import ThreadPoolExecutor

import openmed_c as openmed
from conftest import aci_notes

SAMPLE = ("Patient Maria Lopez, MRN 4829173, phone (617) 555-0192, seen on 03/14/2021 for cystic fibrosis "
          "and type 2 diabetes. ")


def test_gil_released_during_inference():
    """While one thread is inside a long library call, the main thread keeps running Python code.
    If the call held the GIL, the main thread could not run a single bytecode until it returned."""
    long_text = SAMPLE * 400  # several hundred windows
    openmed.analyze_text("warm up")  # load the model first: only the inference is measured
    state = {"inside": False, "done": False}
    spins_inside = 0

    def work():
        state["inside"] = True
        openmed.analyze_text(long_text)
        state["inside"] = False
        state["done"] = True

    t = threading.Thread(target=work)
    t.start()
    while not state["done"]:
        if state["inside"]:
            spins_inside += 1
    t.join()
    assert spins_inside > 1000, "the main thread ran %d loop iterations during inference" % spins_inside


def test_threads_share_models_and_agree():
    notes = aci_notes()
    texts = [n[:1500] for n in notes] + [SAMPLE * k for k in range(1, 6)]
    serial_analyze = [openmed.analyze_text(t).to_dict()["entities"] for t in texts]
    serial_deid = [openmed.deidentify(t, method="hash", secret="k").deidentified_text for t in texts]
    pipe = openmed.ModelLoader().create_pipeline("disease", aggregation_strategy="first")
    serial_pipe = pipe(texts)

    def job(i):
        t = texts[i % len(texts)]
        return (i % len(texts), openmed.analyze_text(t).to_dict()["entities"],
                openmed.deidentify(t, method="hash", secret="k").deidentified_text, pipe(t))

    with ThreadPoolExecutor(max_workers=4) as pool:
        for k, entities, deid, hf in pool.map(job, range(4 * len(texts))):
            assert entities == serial_analyze[k]
            assert deid == serial_deid[k]
            assert hf == serial_pipe[k]
