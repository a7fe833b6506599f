"""results.py: the result objects of analyze_text, extract_pii and deidentify, with OpenMed's names
and attributes (EntityPrediction, PredictionResult, PIIEntity, DeidentificationResult) and their
to_dict() forms. Offsets are [start, end) indices into the text as given (Python str indices)."""
import dataclasses
import json
from typing import Any, Dict, List, Optional


@dataclasses.dataclass
class EntityPrediction:
    """One entity: the text's slice [start, end), its label (without a B-/I- prefix) and score."""

    text: str
    label: str
    confidence: Optional[float]
    start: int
    end: int
    metadata: Dict[str, Any] = dataclasses.field(default_factory=dict)

    def to_dict(self) -> Dict[str, Any]:
        return {"text": self.text, "label": self.label, "confidence": self.confidence, "start": self.start,
                "end": self.end, "metadata": dict(self.metadata)}


@dataclasses.dataclass
class PredictionResult:
    """What analyze_text and extract_pii return (OpenMed's PredictionResult / AnalyzeResult)."""

    text: str
    entities: List[EntityPrediction]
    model_name: str
    timestamp: str
    processing_time: float
    metadata: Dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def text_length(self) -> int:
        return len(self.text)

    def to_dict(self) -> Dict[str, Any]:
        return {"text": self.text, "entities": [e.to_dict() for e in self.entities], "model_name": self.model_name,
                "timestamp": self.timestamp, "processing_time": self.processing_time, "metadata": dict(self.metadata)}

    def to_json(self, indent: Optional[int] = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def __len__(self) -> int:
        return len(self.entities)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.entities)


AnalyzeResult = PredictionResult


@dataclasses.dataclass
class PIIEntity(EntityPrediction):
    """One identifier: EntityPrediction plus what de-identification did with it.

    label/entity_type are the raw label ("FIRST_NAME", or the sweep's "EMAIL"); sources lists the
    detectors ("model", "sweep", "deny", "repeat"); action and redacted_text are None for extract_pii.
    """

    entity_type: str = ""
    redacted_text: Optional[str] = None
    action: Optional[str] = None
    hipaa_class: Optional[str] = None
    sources: List[str] = dataclasses.field(default_factory=list)

    @property
    def original_text(self) -> str:
        return self.text

    def to_dict(self) -> Dict[str, Any]:
        d = super().to_dict()
        d.update({"entity_type": self.entity_type, "redacted_text": self.redacted_text, "action": self.action,
                  "hipaa_class": self.hipaa_class, "sources": list(self.sources)})
        return d


@dataclasses.dataclass
class DeidentificationResult:
    """What deidentify returns: the text with every detected identifier replaced as the method or
    policy says, the entities (with their replacements) and, with keep_mapping, the mapping
    placeholder -> original that reidentify() undoes."""

    original_text: str
    deidentified_text: str
    pii_entities: List[PIIEntity]
    method: str
    timestamp: str
    mapping: Optional[Dict[str, str]] = None
    metadata: Dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def num_entities_redacted(self) -> int:
        return sum(1 for e in self.pii_entities if e.action != "keep")

    def to_dict(self) -> Dict[str, Any]:
        d = {"original_text": self.original_text, "deidentified_text": self.deidentified_text,
             "pii_entities": [e.to_dict() for e in self.pii_entities], "method": self.method,
             "timestamp": self.timestamp, "num_entities_redacted": self.num_entities_redacted,
             "metadata": dict(self.metadata)}
        if self.mapping is not None:
            d["mapping"] = dict(self.mapping)
        return d

    def to_json(self, indent: Optional[int] = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def __str__(self) -> str:
        return self.deidentified_text
